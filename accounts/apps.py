from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    # The label of the tables, migrations and AUTH_USER_MODEL ("helpdesk.User") since before
    # the app had this name: kept, so no table is renamed and no migration rewritten.
    label = "helpdesk"
    verbose_name = "Accounts: people, roles and API tokens"
