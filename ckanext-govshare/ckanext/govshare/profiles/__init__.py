"""ckanext-dcat RDF profiles, one class per standard (as ckanext-dcat's ``profiles/``)."""
from ckanext.govshare.profiles.govshare import GovshareDCATAP3Profile

__all__ = ["GovshareDCATAP3Profile"]
