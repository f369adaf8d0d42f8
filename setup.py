"""The build step pyproject.toml cannot say: the wheel carries the folders that stay at
the top of the repository, as package data under dialog/_data (config.DATA_DIR finds
them there):

    templates/, static/, migrations/   copied as they are
    translations/                      compiled: the .mo catalogues, not the .po sources
    gunicorn.conf.py                   as the module dialog.gunicorn_conf

An editable install (`make install`) copies nothing: the checkout's own folders are used.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
COPIED = ("templates", "static", "migrations")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.po", "*.pot", "*.mo")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        package = Path(self.build_lib) / "dialog"
        data = package / "_data"
        shutil.rmtree(data, ignore_errors=True)  # nothing left from an earlier build
        for name in COPIED:
            shutil.copytree(ROOT / name, data / name, ignore=SKIPPED)
        compile_translations(ROOT / "translations", data / "translations")
        shutil.copyfile(ROOT / "gunicorn.conf.py", package / "gunicorn_conf.py")


def compile_translations(source: Path, target: Path) -> None:
    # Babel is a build requirement (pyproject.toml); imported here, so that an editable
    # install, which compiles nothing, works without it as well.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        locale = po.parent.parent.name
        with po.open("rb") as file:
            catalog = read_po(file, locale=locale)
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as file:
            # As `make translations` does: fuzzy entries are better than English.
            write_mo(file, catalog, use_fuzzy=True)


setup(cmdclass={"build_py": BuildWithData})
