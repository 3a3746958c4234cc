from django.apps import AppConfig


class GuideConfig(AppConfig):
    name = "guide"
    verbose_name = "The guide: file formats, rules, tutorial and users guides"
