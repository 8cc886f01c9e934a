from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    label = "templates_app"
    verbose_name = "Template marketplace"

    def ready(self):
        from templates_app.warming import register_marketplace_warmers

        register_marketplace_warmers()
