# shellcheck shell=bash
# Sourced (not executed) by the Solr image's run-initdb, as the solr user, before Solr
# starts. Creates the cores of GOVSHARE_SOLR_CORES (default `ckan`; e.g. "ckan ckan_open" for
# a sharing and an open-data site on one Solr) on the first start and, on every start,
# replaces their conf/ with the one built into the image, so a new image brings its new
# schema. The index in /var/solr/data/<core>/data is kept: after a schema change rebuild it
# (`docker compose exec ckan ckan search-index rebuild`).
govshare_solr_cores() {
    local core dir src=/opt/govshare/solr/conf
    for core in ${GOVSHARE_SOLR_CORES//,/ }; do
        dir=/var/solr/data/$core
        mkdir -p "$dir/conf"
        cp -f "$src"/* "$dir/conf/"
        if [[ ! -f $dir/core.properties ]]; then
            printf 'name=%s\n' "$core" >"$dir/core.properties"
            echo "govshare: created core $core"
        fi
        echo "govshare: core $core uses the image's conf/"
    done
}
govshare_solr_cores
unset -f govshare_solr_cores
