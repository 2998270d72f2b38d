import getpass

from django.core.management.base import BaseCommand, CommandError

from backoffice.roles import ROLES, user_create_with_role


class Command(BaseCommand):
    help = "Create or update a back-office user with a role (order staff or store admin)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="Omit to be asked for it (keeps it out of the shell history)."
        )

    def handle(self, *args, username, role, email, password, **options):
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if len(password) < 8:
            raise CommandError("The password must have at least 8 characters.")
        user = user_create_with_role(username=username, password=password, role=role, email=email)
        self.stdout.write(self.style.SUCCESS(f"{user.username} is now {ROLES[role]}."))
