from django.conf import settings


def store(request):
    return {
        "STORE_NAME": settings.STORE_NAME,
        "STORE_CURRENCY": settings.STORE_CURRENCY,
        "NEW_ORDERS_POLL_SECONDS": settings.NEW_ORDERS_POLL_SECONDS,
    }
