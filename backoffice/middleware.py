"""Response headers of the frame."""

PRIVATE = "private, no-store"


class PrivateCacheMiddleware:
    """Whatever a signed-in user is shown stays in their browser's memory only: no shared
    cache nor the browser's disk keeps a page of orders, customers or payments. (Static files
    are answered by WhiteNoise before this runs and keep their long cache.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = PRIVATE
        return response
