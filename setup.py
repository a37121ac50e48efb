"""ckanext-govshare: CKAN as a city's government data sharing and open-data platform."""
from setuptools import find_namespace_packages, setup

setup(
    name="ckanext-govshare",
    version="0.1.0",
    description="Government information resource sharing and open data on CKAN",
    license="AGPL-3.0",
    python_requires=">=3.10",
    # The code lives in ckanext-govshare/; the catalog schemas in schemas/ are
    # installed inside the package so that a plain `pip install .` carries them.
    package_dir={"": "ckanext-govshare", "ckanext.govshare.schemas": "schemas"},
    packages=find_namespace_packages("ckanext-govshare", include=["ckanext.*"])
    + ["ckanext.govshare.schemas"],
    package_data={
        "ckanext.govshare": [
            "config_declaration.yaml",
            "templates/**/*.html",
            "public/**/*",
            "i18n/*/LC_MESSAGES/*.mo",
            "i18n/*/LC_MESSAGES/*.po",
            "migration/govshare/*.ini",
            "migration/govshare/*.mako",
            "demo/*.yaml",
            "routes.yaml",
            "glossary.yaml",
        ],
        "ckanext.govshare.schemas": ["*.yaml", "*.json"],
    },
    install_requires=[
        "ckanext-scheming==3.1.0",
        "ckanext-dcat==2.4.4",
        "python-stdnum==2.2",
        "openpyxl==3.1.5",
        "python-calamine==0.9.1",
        "holidays==0.109",
    ],
    entry_points={
        "ckan.plugins": ["govshare = ckanext.govshare.plugin:GovsharePlugin",
                         "govshare_dcat_harvester = ckanext.govshare.harvesters:GovshareDCATHarvester"],
        "babel.extractors": ["ckan = ckan.lib.extract:extract_ckan"],
        "ckan.rdf.profiles": ["govshare = ckanext.govshare.profiles:GovshareDCATAP3Profile"],
    },
)
