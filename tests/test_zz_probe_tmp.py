import pytest
from test_access import *
from test_access import with_plugins, app, world, api, get
from access_fixtures import site_world

@pytest.mark.ckan_config("govshare.site_role", "combined")
class TestProbe:
    def test_probe(self, app, world):
        e = world.entry("unconditional", "general")
        r = api(app, world, SYSADMIN, "activity_diff", id=e.update_activity_id, object_type="package", diff_type="unified")
        print(r.status_code, r.body[:3000])
        r = api(app, world, SYSADMIN, "package_activity_list", id=e.id)
        for a in r.json["result"]:
            print(a["activity_type"], a["id"], a["timestamp"], [x.get("url") for x in a["data"].get("package", {}).get("resources", [])])
        print(e.update_activity_id)
