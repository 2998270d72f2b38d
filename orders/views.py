from django.http import HttpResponse


def order_list(request):
    return HttpResponse("orders")


def order_detail(request, number):
    return HttpResponse("order")
