from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    label = "templates_app"
    verbose_name = "Template marketplace"

    def ready(self):
        from synapscale.health.modules import register_module_check
        from templates_app.selectors.monitoring import (
            search_vocabulary_check,
            trending_refresh_check,
        )
        from templates_app.warming import register_marketplace_warmers

        register_marketplace_warmers()
        register_module_check("templates", "search_vocabulary", search_vocabulary_check)
        register_module_check("templates", "trending_refresh", trending_refresh_check)
