"""Build-time check of the image: the non-editable install carries every file of the package.

    python docker/check_install.py SOURCE_PACKAGE_DIR

Compares ckanext-govshare/ckanext/govshare in the build context with the installed
ckanext.govshare: a data file that setup.py's package_data misses (a template, a
translation, config_declaration.yaml, ...) fails the build here instead of the running portal.
"""
import importlib.resources
import pathlib
import sys

IGNORED_SUFFIXES = {".pyc", ".pot"}  # the .pot is only the translators' template


def main() -> None:
    source = pathlib.Path(sys.argv[1])
    installed = pathlib.Path(str(importlib.resources.files("ckanext.govshare")))
    if installed.resolve() == source.resolve():
        sys.exit(f"check_install: ckanext.govshare is imported from the source tree {source}")
    missing = sorted(
        str(path.relative_to(source))
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in IGNORED_SUFFIXES
        and not (installed / path.relative_to(source)).is_file()
    )
    if missing:
        sys.exit("check_install: `pip install .` did not install these files of "
                 f"{source} (add them to package_data in setup.py):\n  " + "\n  ".join(missing))
    schemas = importlib.resources.files("ckanext.govshare.schemas")
    for name in ("dataset.yaml", "organization.yaml"):
        if not schemas.joinpath(name).is_file():
            sys.exit(f"check_install: ckanext.govshare.schemas has no {name}")
    print(f"check_install: {installed} has every file of {source}")


if __name__ == "__main__":
    main()
