# Solr 9 for govshare: the official image with a `ckan` core whose schema.xml is generated
# by solr/make_schema.py (CKAN's own schema from the pinned ckan, plus ICU + CJK-bigram
# analysis and the govshare dataset fields from schemas/dataset.yaml), the same way
# scripts/solr.sh does it for the local Solr. Build context: the repository root
#   docker build -f docker/solr.Dockerfile -t govshare-solr .
# Keep SOLR_IMAGE on the Solr of solr/pom.xml (its Lucene = solrconfig's luceneMatchVersion).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG SOLR_IMAGE=solr:9.10.1

# -------------------------------------------------------------- schema stage
FROM ${PYTHON_IMAGE} AS schema
ARG SOLR_ANALYSIS=icu
# Optional PyPI mirror: docker compose build --build-arg PIP_INDEX_URL=https://…/simple
ARG PIP_INDEX_URL
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.txt ./
COPY docker/constraints.txt docker/
# Only the ckan package's files are needed (make_schema.py reads ckan/config/solr/schema.xml
# without importing ckan), so no dependencies: the ckan line of requirements.txt and PyYAML.
RUN grep -E '^ckan(\[[a-z,]+\])?==' requirements.txt >/tmp/ckan-requirement.txt \
 && pip install --no-deps -c docker/constraints.txt -r /tmp/ckan-requirement.txt pyyaml
COPY solr/make_schema.py solr/solrconfig.xml solr/
COPY schemas/dataset.yaml schemas/
RUN python solr/make_schema.py /out/conf --analysis "$SOLR_ANALYSIS" \
 && cp solr/solrconfig.xml /out/conf/ \
 && ls -l /out/conf

# ---------------------------------------------------------------- solr stage
FROM ${SOLR_IMAGE}
# The ICU tokenizer (and smartcn) come from Solr's analysis-extras module.
ENV SOLR_MODULES=analysis-extras \
    GOVSHARE_SOLR_CORES=ckan
COPY --from=schema /out/conf/ /opt/govshare/solr/conf/
# Sourced by the image's run-initdb before Solr starts (CMD solr-foreground).
COPY docker/solr/10-govshare-core.sh /docker-entrypoint-initdb.d/10-govshare-core.sh
