from django.apps import AppConfig


class WorkbooksConfig(AppConfig):
    name = "wpstrack.workbooks"
    verbose_name = "Spreadsheet templates and imports"
