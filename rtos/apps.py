from django.apps import AppConfig


class RtosConfig(AppConfig):
    name = "rtos"
    verbose_name = "RTOs"
