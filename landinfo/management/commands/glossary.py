"""Write each profile's glossary as docs/glossary-<profile>.md (or check the files are current)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from landinfo.profiles import PROFILES
from landinfo.profiles.glossary import glossary


def glossary_path(profile_key: str) -> Path:
    """Return where the glossary of `profile_key` is written."""
    return Path(settings.BASE_DIR) / "docs" / f"glossary-{profile_key}.md"


class Command(BaseCommand):
    help = (
        "Write each profile's glossary (landinfo/profiles/glossary/) as "
        "docs/glossary-<profile>.md; --check fails when a file is not current."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; exit 1 if a file differs."
        )

    def handle(self, *args: object, check: bool = False, **options: object) -> None:
        stale = []
        for key in PROFILES:
            path = glossary_path(key)
            text = glossary(key).markdown()
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current == text:
                continue
            if check:
                stale.append(str(path))
                continue
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {path}.")
        if stale:
            raise CommandError(f"Not current (run manage.py glossary): {', '.join(stale)}")
