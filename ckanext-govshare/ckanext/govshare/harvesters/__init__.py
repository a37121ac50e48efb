"""Harvesters (ckanext-harvest) of the platform; see ckanext.govshare.harvest."""
from ckanext.govshare.harvesters.dcat import GovshareDCATHarvester

__all__ = ["GovshareDCATHarvester"]
