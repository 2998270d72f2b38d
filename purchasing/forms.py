import io

import paramiko
from django import forms

from catalog.models import Vendor
from shipping.forms import TrackedShipmentForm, split_numbers

from .selectors import Candidate
from .transport import TransportError, local_folder

STOCK = ""  # the vendor select's "no PO: ships from stock"


class PoCreateForm(forms.Form):
    """Per line that may go on a PO, the vendor to order it from (the product's default
    preselected), or none: it ships from stock."""

    def __init__(self, *args, candidates: list[Candidate], **kwargs):
        kwargs.setdefault("auto_id", "po_%s")
        super().__init__(*args, **kwargs)
        self.candidates = candidates
        for candidate in candidates:
            if not candidate.links:
                continue
            self.fields[f"vendor_{candidate.line.pk}"] = forms.TypedChoiceField(
                label=f"Vendor for {candidate.line.sku}",
                choices=[(STOCK, "No PO (ship from stock)")]
                + [
                    (link.vendor_id, f"{link.vendor.name} — {link.cost}")
                    for link in candidate.links
                ],
                coerce=int,
                empty_value=None,
                required=False,
                initial=candidate.default_vendor_id,
            )

    def rows(self):
        return [(c, self[f"vendor_{c.line.pk}"] if c.links else None) for c in self.candidates]

    def choices(self) -> dict[int, int]:
        return {
            c.line.pk: self.cleaned_data[f"vendor_{c.line.pk}"]
            for c in self.candidates
            if c.links and self.cleaned_data.get(f"vendor_{c.line.pk}")
        }


class PoShipForm(TrackedShipmentForm):
    """A vendor's shipment of some of a PO's lines: the vendor's courier (a carrier, or another
    typed by name), tracking numbers, units per line."""

    number_from = "the vendor"

    def __init__(self, *args, po, **kwargs):
        kwargs.setdefault("auto_id", f"po{po.pk}_%s")
        super().__init__(*args, **kwargs)
        self.fields["carrier"].label = "Vendor's carrier"
        self.po = po
        self.owed = [pl for pl in po.line_list if pl.remaining > 0]
        for po_line in self.owed:
            self.fields[f"qty_{po_line.pk}"] = forms.IntegerField(
                label=f"{po_line.vendor_sku} shipped",
                min_value=0,
                max_value=po_line.remaining,
                initial=po_line.remaining,
                required=False,
            )

    def line_fields(self):
        return [(pl, self[f"qty_{pl.pk}"]) for pl in self.owed]

    def quantities(self) -> dict[int, int]:
        return {pl.pk: self.cleaned_data.get(f"qty_{pl.pk}") or 0 for pl in self.owed}


def _secret_input() -> forms.PasswordInput:
    # Never rendered back, not even after a failed submit; browsers must not autofill it.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class VendorForm(forms.ModelForm):
    """A vendor and how its POs reach it. The SFTP password and key are write-only: blank
    keeps the saved one."""

    po_emails = forms.CharField(
        label="PO email addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One or more, one per line or separated by commas.",
    )
    sftp_password = forms.CharField(
        label="SFTP password", required=False, max_length=200, widget=_secret_input()
    )
    sftp_private_key = forms.CharField(
        label="SFTP private key",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="OpenSSH private key (instead of a password). Never shown again.",
    )

    class Meta:
        model = Vendor
        fields = [
            "name",
            "is_active",
            "contact_name",
            "email",
            "phone",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "country",
            "po_method",
            "po_emails",
            "edi_sender_qualifier",
            "edi_sender_id",
            "edi_receiver_qualifier",
            "edi_receiver_id",
            "edi_transport",
            "edi_inbound_dir",
            "edi_outbound_dir",
            "sftp_host",
            "sftp_port",
            "sftp_username",
        ]
        labels = {
            "email": "Contact email",
            "po_method": "POs are sent by",
            "edi_sender_qualifier": "ISA05 (our qualifier)",
            "edi_sender_id": "ISA06 / GS02 (our id)",
            "edi_receiver_qualifier": "ISA07 (their qualifier)",
            "edi_receiver_id": "ISA08 / GS03 (their id)",
            "edi_transport": "EDI transport",
            "edi_inbound_dir": "Inbound folder (850s go here)",
            "edi_outbound_dir": "Outbound folder (856s come from here)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["po_emails"] = "\n".join(self.instance.po_emails or [])
        self.secret_saved = bool(self.instance.pk and self.instance.sftp_secret)

    def clean_po_emails(self) -> list[str]:
        addresses = split_numbers(self.cleaned_data.get("po_emails") or "")
        validate = forms.EmailField().clean
        for address in addresses:
            try:
                validate(address)
            except forms.ValidationError as exc:
                raise forms.ValidationError(f"“{address}” is not an email address.") from exc
        return addresses

    def clean(self):
        data = super().clean()
        method = data.get("po_method")
        if method == Vendor.PoMethod.EMAIL and not data.get("po_emails"):
            self.add_error("po_emails", "Enter the address POs go to: email is how POs are sent.")
        if method == Vendor.PoMethod.EDI:
            for name in ("edi_sender_id", "edi_receiver_id"):
                if not data.get(name):
                    self.add_error(name, "EDI needs the ISA sender and receiver ids.")
            if data.get("edi_transport") == Vendor.Transport.SFTP:
                for name in ("sftp_host", "sftp_username"):
                    if not data.get(name):
                        self.add_error(name, "SFTP needs the host and the user.")
                if not (
                    data.get("sftp_password") or data.get("sftp_private_key") or self.secret_saved
                ):
                    self.add_error("sftp_password", "Enter the SFTP password or a private key.")
                key = data.get("sftp_private_key")
                if key:
                    try:
                        paramiko.PKey.from_private_key(io.StringIO(key))
                    except (paramiko.SSHException, ValueError) as exc:
                        self.add_error("sftp_private_key", f"This key cannot be read: {exc}")
            else:
                for name in ("edi_inbound_dir", "edi_outbound_dir"):
                    try:
                        local_folder(self.instance, data.get(name) or "")
                    except TransportError as exc:
                        self.add_error(name, str(exc))
        return data

    def secret(self) -> dict | None:
        """The new SFTP secret, or None to keep the saved one."""
        data = self.cleaned_data
        if data.get("sftp_private_key"):
            return {"private_key": data["sftp_private_key"]}
        if data.get("sftp_password"):
            return {"password": data["sftp_password"]}
        return None
