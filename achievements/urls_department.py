"""Department: /department/register/… (cross-RTO register search, training products)."""

from django.urls import path

from . import department_views as views

app_name = "register"

urlpatterns = [
    path("", views.register_search, name="search"),
    path("learners/<str:public_id>/", views.register_learner, name="learner"),
    path("training-products/", views.training_products, name="training_products"),
    path("training-products/lookup/", views.product_lookup, name="product_lookup"),
]
