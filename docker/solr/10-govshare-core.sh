# shellcheck shell=bash
# Sourced (not executed) by the Solr image's run-initdb, as the solr user, before Solr
# starts. Creates the core on the first start and, on every start, replaces its conf/ with
# the one built into the image, so a new image brings its new schema; the index in
# /var/solr/data/<core>/data is kept (rebuild it after a schema change:
# `ckan search-index rebuild`).
govshare_solr_core() {
    local core=${GOVSHARE_SOLR_CORE:-ckan}
    local src=/opt/govshare/solr/conf
    local dir=/var/solr/data/$core
    mkdir -p "$dir/conf"
    cp -f "$src"/* "$dir/conf/"
    if [[ ! -f $dir/core.properties ]]; then
        printf 'name=%s\n' "$core" >"$dir/core.properties"
        echo "govshare: created core $core"
    fi
    echo "govshare: core $core uses the image's conf ($(ls "$src" | tr '\n' ' '))"
}
govshare_solr_core
unset -f govshare_solr_core
