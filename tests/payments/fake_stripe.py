"""A local HTTP server that answers as Stripe's API documents, for the few calls we make.

POST /v1/payment_intents (confirm=true), GET /v1/payment_intents/<id>, GET /v1/charges/<id>,
POST /v1/refunds; form-encoded requests, JSON answers shaped like Stripe's objects and errors,
Idempotency-Key honoured (same key and parameters: the first answer again; other parameters:
an idempotency_error). The outcome comes from the payment method, as with Stripe's test cards:

| payment method                          | answer                                          |
|-----------------------------------------|-------------------------------------------------|
| pm_card_visa                            | succeeded, every check passes                   |
| pm_card_avsFail                         | succeeded, address line 1 and postal code fail  |
| pm_card_cvcCheckFail                    | succeeded, the CVC check fails                  |
| pm_card_chargeDeclined                  | 402 card_error, card_declined / generic_decline |
| pm_card_chargeDeclinedInsufficientFunds | 402 card_error, insufficient_funds              |
| pm_card_authenticationRequired          | requires_action                                 |
| pm_card_slow (ours)                     | answers after `slow_seconds`                    |
| pm_card_serverError (ours)              | 500 api_error                                   |
| anything else                           | 400 resource_missing on payment_method          |
"""

import itertools
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

CHECKS_PASS = {
    "address_line1_check": "pass",
    "address_postal_code_check": "pass",
    "cvc_check": "pass",
}
SUCCEEDS = {
    "pm_card_visa": CHECKS_PASS,
    "pm_card_avsFail": {
        **CHECKS_PASS,
        "address_line1_check": "fail",
        "address_postal_code_check": "fail",
    },
    "pm_card_cvcCheckFail": {**CHECKS_PASS, "cvc_check": "fail"},
    "pm_card_slow": CHECKS_PASS,
}
DECLINES = {
    "pm_card_chargeDeclined": ("generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
}


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding back to a structure: a[b]=1&c[0]=x → {"a": {"b": "1"}, "c": ["x"]}."""
    result: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = result
        for part, following in itertools.pairwise(parts):
            node = node.setdefault(part, [] if following.isdigit() else {})
            if isinstance(node, list):
                node.append(value)
                break
        else:
            node[parts[-1]] = value
    return result


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def stripe_event(event_type: str, obj: dict, *, event_id: str | None = None) -> bytes:
    """A webhook body as Stripe sends it."""
    return json.dumps(
        {
            "id": event_id or _id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": obj},
        }
    ).encode()


class FakeStripe:
    def __init__(self, *, slow_seconds: float = 3.0):
        self.slow_seconds = slow_seconds
        self.intents: dict[str, dict] = {}
        self.charges: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[dict] = []  # every request: method, path, params, headers
        self._idempotent: dict[str, tuple[dict, int, dict]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                fake._serve(self, "POST")

            def do_GET(self):
                fake._serve(self, "GET")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    # --- requests ----------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode() if length else ""
        path, _, query = handler.path.partition("?")
        params = unflatten(parse_qsl(raw or query, keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append(
                {"method": method, "path": path, "params": params, "headers": dict(handler.headers)}
            )
        if not (handler.headers.get("Authorization") or "").startswith("Bearer sk_"):
            status, body = 401, _error("invalid_request_error", "Invalid API Key provided.")
        elif method == "POST" and key and (seen := self._replay(key, path, params)):
            status, body = seen
        else:
            if params.get("payment_method") == "pm_card_slow":
                time.sleep(self.slow_seconds)
            status, body = self._route(method, path, params)
            if method == "POST" and key and status < 500:
                with self._lock:
                    self._idempotent.setdefault(key, ({"path": path, **params}, status, body))
        payload = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.send_header("Request-Id", _id("req"))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a timeout test)

    def _replay(self, key: str, path: str, params: dict):
        with self._lock:
            seen = self._idempotent.get(key)
        if seen is None:
            return None
        first, status, body = seen
        if first != {"path": path, **params}:
            return 400, _error(
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                "were first used with.",
            )
        return status, body

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/payment_intents":
            return self._create_intent(params)
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        if method == "GET" and (m := re.fullmatch(r"/v1/payment_intents/([\w]+)", path)):
            intent = self.intents.get(m[1])
            if intent is None:
                return 404, _missing("payment_intent", m[1])
            return 200, self._expanded(intent, params)
        if method == "GET" and (m := re.fullmatch(r"/v1/charges/([\w]+)", path)):
            charge = self.charges.get(m[1])
            return (200, charge) if charge else (404, _missing("charge", m[1]))
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _create_intent(self, params: dict) -> tuple[int, dict]:
        pm = params.get("payment_method", "")
        if pm == "pm_card_serverError":
            return 500, _error("api_error", "Something went wrong on Stripe's end.")
        if pm not in SUCCEEDS and pm not in DECLINES and pm != "pm_card_authenticationRequired":
            return 400, _error(
                "invalid_request_error",
                f"No such PaymentMethod: '{pm}'",
                code="resource_missing",
                param="payment_method",
            )
        amount = int(params["amount"])
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": params["currency"],
            "status": "requires_payment_method",
            "payment_method": pm,
            "description": params.get("description"),
            "metadata": params.get("metadata", {}),
            "capture_method": "automatic",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "latest_charge": None,
            "last_payment_error": None,
            "livemode": False,
        }
        self.intents[intent["id"]] = intent
        if pm == "pm_card_authenticationRequired":
            intent["status"] = "requires_action"
            intent["next_action"] = {"type": "use_stripe_sdk"}
            return 200, self._expanded(intent, params)
        charge = {
            "id": _id("ch"),
            "object": "charge",
            "amount": amount,
            "amount_captured": 0,
            "amount_refunded": 0,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": intent["metadata"],
            "refunded": False,
            "authorization_code": f"{secrets.randbelow(10**6):06d}",
            "payment_method": pm,
            "payment_method_details": {
                "type": "card",
                "card": {"brand": "visa", "last4": "4242", "checks": SUCCEEDS.get(pm, CHECKS_PASS)},
            },
        }
        self.charges[charge["id"]] = charge
        intent["latest_charge"] = charge["id"]
        if pm in DECLINES:
            decline_code, message = DECLINES[pm]
            charge.update(status="failed", paid=False, captured=False, authorization_code=None)
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline_code,
                "message": message,
                "charge": charge["id"],
            }
            error = _error(
                "card_error",
                message,
                code="card_declined",
                decline_code=decline_code,
                charge=charge["id"],
            )
            error["error"]["payment_intent"] = dict(intent)
            return 402, error
        charge.update(status="succeeded", paid=True, captured=True, amount_captured=amount)
        intent.update(status="succeeded", amount_received=amount)
        return 200, self._expanded(intent, params)

    def _expanded(self, intent: dict, params: dict) -> dict:
        if "latest_charge" in params.get("expand", []) and intent["latest_charge"]:
            return {**intent, "latest_charge": self.charges[intent["latest_charge"]]}
        return intent

    def _create_refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent", ""))
        if intent is None:
            return 400, _missing("payment_intent", params.get("payment_intent", ""))
        charge = self.charges.get(intent["latest_charge"] or "")
        if intent["status"] != "succeeded" or charge is None:
            return 400, _error(
                "invalid_request_error",
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            return 400, _error(
                "invalid_request_error",
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = int(params.get("amount") or remaining)
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        refund = {
            "id": _id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "currency": charge["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def posts(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == path]


def _error(error_type: str, message: str, **fields) -> dict:
    return {"error": {"type": error_type, "message": message, **fields}}


def _missing(kind: str, ident: str) -> dict:
    return _error(
        "invalid_request_error", f"No such {kind}: '{ident}'", code="resource_missing", param="id"
    )
