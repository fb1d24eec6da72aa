from django.apps import AppConfig


class LandinfoConfig(AppConfig):
    name = "landinfo"
    verbose_name = "LandInfo"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.backends.signals import connection_created
        from django.db.models.signals import pre_save

        from landinfo.accounts import delays, signin, tokens
        from landinfo.srid import check_storage_srid

        # Every connection checks that its database was made under this profile.
        connection_created.connect(check_storage_srid, dispatch_uid="landinfo-profile")

        # Django's own events of signing in and out: every form and path that signs in or
        # out (ours, the admin's, django-axes' lock) sends them, so one receiver each
        # covers them all (landinfo/accounts/ says what each does).
        user_logged_in.connect(signin.on_user_logged_in, dispatch_uid="landinfo-signed-in")
        user_login_failed.connect(delays.on_login_failed, dispatch_uid="landinfo-failed")
        user_logged_out.connect(tokens.revoke_on_logout, dispatch_uid="landinfo-signed-out")
        pre_save.connect(
            tokens.revoke_on_deactivation,
            sender=get_user_model(),
            dispatch_uid="landinfo-deactivated",
        )
