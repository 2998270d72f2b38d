"""The product page: staff and store admins see a product's variants and vendors."""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors
from .tables import VariantTable, VendorTable

VIEW = "catalog.view_product"


@require_GET
@permission_required(VIEW, raise_exception=True)
def product_detail(request, pk: int):
    product = selectors.product_detail(product_id=pk)
    variants = VariantTable(product.variants.all(), empty_text="No variants.")
    vendors = VendorTable(
        product.vendor_links.all(), empty_text="No vendors: this product is not drop-shipped."
    )
    return render(
        request,
        "catalog/product_detail.html",
        {"product": product, "variants": variants, "vendors": vendors},
    )
