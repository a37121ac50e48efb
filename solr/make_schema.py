"""Write the govshare Solr schema.xml: CKAN's own schema with CJK-aware text analysis.

Usage: python solr/make_schema.py OUT_DIR [--analysis icu|smartcn] [--dataset-schema YAML]
Writes OUT_DIR/schema.xml plus the empty word lists it references. CKAN's schema is read
from the installed ckan package (never copied into this repo), so it follows CKAN upgrades;
the schema name (ckan-X.Y, checked by CKAN at startup) is kept unchanged.

Only the analysers of the `text` and `text_general` field types change. `text` covers
title, notes, the catch-all `text` (tags, groups, organization, res_* are copied into it),
`extras_*` and `res_extras_*`; `text_general` covers res_name, res_description, author and
maintainer. String fields (name, tags, `*`) are untouched, so exact filters still work.

Fields of the govshare dataset schema (schemas/dataset.yaml, ckanext-scheming) are indexed
top-level by CKAN, where CKAN's catch-all `*` is a single-valued string. So the schema adds
`info_item_names` (CJK text, multi-valued; filled by the plugin's before_dataset_index) and
a field for each other custom field: string (text for textareas), multi-valued for the
multiple_* presets that the plugin turns into lists; free-text ones (codes, units,
conditions) are also copied into `text`.

Measured on Solr 9.10.1 with CKAN's own query parameters (defType=dismax,
qf="name^4 title^4 tags^2 groups^2 text", mm="2<-1 5<80%", q.op=AND): 10 datasets (Chinese
titles/notes/info items in extras_*, one English, resource codes like 101/000123) and 31
queries with known answers (人口 -> 人口基础信息库, 法人 -> 法人单位基本信息, 营业执照 and 执照 ->
企业营业执照信息 but not 工商营业网点分布, 人, population, "Resident Populations", 101/000123, ...):
  variant                                      exact  precision  recall
  (a) ICU + CJK bigrams                        27/31    0.70      1.00
  (b) smartcn                                  24/31    0.67      0.83
  (a) + autoGeneratePhraseQueries  <- chosen   30/31    1.00      0.97
  (b) + autoGeneratePhraseQueries              26/31    1.00      0.80
Without phrases dismax ORs the bigrams of one query word (营业执照 also found 工商营业网点;
人口信息 matched 7 of 10 datasets through the bigram 信息). smartcn misses sub-words of its
dictionary words (执照, 所得税, 营业 in 营业执照) and single characters. The one miss of the
choice: 人口信息 does not find 人口基础信息库 (not contiguous); "人口 信息" with a space does.
English stemming and codes (dismax, and fq resource_code:"101/000123" on a string field)
worked in all variants.
"""
import argparse
import importlib.util
import os
import re
import sys
import xml.etree.ElementTree as ET

# Both analysers make traditional characters simplified (ICU's Traditional-Simplified
# transform: 戶籍 finds 户籍). The query analyser ends with the authority's synonyms, Solr's
# managed synonym graph `govshare` (REST-updated by ckanext/govshare/synonyms.py, which writes
# each word as the analyser has it before this filter, 营业执照 -> "营业 业执 执照", and reloads
# the core): after the bigrams, so a pair's words match whole.
# (a) ICU word breaks + CJK bigrams. Unigrams are also indexed so one-character queries
# match; queries use bigrams only (precision). ICU splits at punctuation (101/000123 ->
# 101 000123, searched as a phrase); WordDelimiterGraph keeps CKAN's case/letter-digit
# splitting (DataSet, abc123) and runs before the bigram filter, whose token types it keeps.
ICU = """
<analyzer type="index">
  <charFilter class="solr.CJKWidthCharFilterFactory"/>
  <tokenizer class="solr.ICUTokenizerFactory"/>
  <filter class="solr.ICUTransformFilterFactory" id="Traditional-Simplified"/>
  <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1" catenateWords="1" catenateNumbers="1" catenateAll="0" splitOnCaseChange="{case}"/>
  <filter class="solr.FlattenGraphFilterFactory"/>
  <filter class="solr.CJKBigramFilterFactory" outputUnigrams="true"/>
  <filter class="solr.LowerCaseFilterFactory"/>
  {stem}
  <filter class="solr.ASCIIFoldingFilterFactory"/>
</analyzer>
<analyzer type="query">
  <charFilter class="solr.CJKWidthCharFilterFactory"/>
  <tokenizer class="solr.ICUTokenizerFactory"/>
  <filter class="solr.ICUTransformFilterFactory" id="Traditional-Simplified"/>
  <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1" catenateWords="0" catenateNumbers="0" catenateAll="0" splitOnCaseChange="{case}"/>
  <filter class="solr.CJKBigramFilterFactory" outputUnigrams="false"/>
  <filter class="solr.LowerCaseFilterFactory"/>
  <filter class="solr.ManagedSynonymGraphFilterFactory" managed="govshare"/>
  {stem}
  <filter class="solr.ASCIIFoldingFilterFactory"/>
</analyzer>
"""

# (b) smartcn: dictionary/HMM Chinese word segmentation; its stop list drops punctuation.
SMARTCN = """
<analyzer type="index">
  <charFilter class="solr.CJKWidthCharFilterFactory"/>
  <tokenizer class="solr.HMMChineseTokenizerFactory"/>
  <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1" catenateWords="1" catenateNumbers="1" catenateAll="0" splitOnCaseChange="{case}"/>
  <filter class="solr.FlattenGraphFilterFactory"/>
  <filter class="solr.StopFilterFactory" words="org/apache/lucene/analysis/cn/smart/stopwords.txt"/>
  <filter class="solr.LowerCaseFilterFactory"/>
  {stem}
  <filter class="solr.ASCIIFoldingFilterFactory"/>
</analyzer>
<analyzer type="query">
  <charFilter class="solr.CJKWidthCharFilterFactory"/>
  <tokenizer class="solr.HMMChineseTokenizerFactory"/>
  <filter class="solr.SynonymGraphFilterFactory" synonyms="synonyms.txt" ignoreCase="true" expand="true"/>
  <filter class="solr.WordDelimiterGraphFilterFactory" generateWordParts="1" generateNumberParts="1" catenateWords="0" catenateNumbers="0" catenateAll="0" splitOnCaseChange="{case}"/>
  <filter class="solr.StopFilterFactory" words="org/apache/lucene/analysis/cn/smart/stopwords.txt"/>
  <filter class="solr.LowerCaseFilterFactory"/>
  {stem}
  <filter class="solr.ASCIIFoldingFilterFactory"/>
</analyzer>
"""

ANALYSES = {"icu": ICU, "smartcn": SMARTCN}
DEFAULT = "icu"
# `text` keeps CKAN's English stemming and case splitting; `text_general` has neither.
STEM = '<filter class="solr.SnowballPorterFilterFactory" language="English" protected="protwords.txt"/>'
TYPES = {"text": {"stem": STEM, "case": "1"}, "text_general": {"stem": "", "case": "0"}}


def ckan_schema_path():
    spec = importlib.util.find_spec("ckan")  # no import: ckan/__init__ edits sys.path
    if spec is None or not spec.submodule_search_locations:
        sys.exit("make_schema.py: the ckan package is not installed in this Python")
    return os.path.join(spec.submodule_search_locations[0], "config", "solr", "schema.xml")


# Fields CKAN indexes itself (or that the plugin removes before indexing).
CKAN_OWN = {"owner_org", "tag_string", "info_items"}


def repo_dataset_schema():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas", "dataset.yaml")


def add_govshare_fields(root, dataset_schema):
    import yaml  # PyYAML comes with ckan

    with open(dataset_schema, encoding="utf-8") as f:
        dataset_fields = yaml.safe_load(f)["dataset_fields"]
    fields = root.find("fields")
    declared = {f.get("name") for f in fields.iter("field")}

    def add(name, type_, multi, copy):
        ET.SubElement(fields, "field", name=name, type=type_, indexed="true", stored="true",
                      multiValued=str(multi).lower())
        if copy:
            ET.SubElement(root, "copyField", source=name, dest="text")

    add("info_item_names", "text", True, True)
    for field in dataset_fields:
        name = field["field_name"]
        if name in declared or name in CKAN_OWN or name.endswith("_date"):  # *_date: CKAN dates
            continue
        validators = field.get("validators", "")
        numeric = "int_validator" in validators or "number" in validators
        free_text = not field.get("choices") and not numeric  # choice codes would add noise
        # Long free text as analysed text: a string term is limited to 32 KB.
        long_text = field.get("form_snippet") in ("textarea.html", "markdown.html")
        multi = field.get("preset", "").startswith("multiple_")
        add(name, "text" if long_text else "string", multi, free_text)


# Resource URLs are data, not metadata: who may have them depends on share type and
# grants, which Solr cannot know. Neither index nor store them, so no q, fq, facet
# or fl can reveal one; package_search's results carry them only inside the
# data dicts, which the plugin filters per user.
DATA_FIELDS = {"res_url", "download_url"}


def close_data_fields(root):
    for field in root.find("fields").iter("field"):
        if field.get("name") in DATA_FIELDS:
            field.set("indexed", "false")
            field.set("stored", "false")
    for copy in list(root.iter("copyField")):
        if copy.get("source") in DATA_FIELDS:
            root.remove(copy)


def build(src, analysis, dataset_schema):
    tree = ET.parse(src)
    root = tree.getroot()
    if not re.fullmatch(r"ckan-\d+\.\d+", root.get("name", "")):
        sys.exit(f"make_schema.py: unexpected schema name {root.get('name')!r} in {src}")
    found = set()
    for ft in root.iter():
        name = ft.get("name")
        if ft.tag.lower() == "fieldtype" and name in TYPES:
            # CKAN queries with dismax, which ORs the several tokens (bigrams) that one
            # space-free Chinese query word yields; a phrase keeps them together.
            ft.set("autoGeneratePhraseQueries", "true")
            for old in ft.findall("analyzer"):
                ft.remove(old)
            xml = ANALYSES[analysis].format(**TYPES[name])
            for analyzer in ET.fromstring(f"<x>{xml}</x>"):
                ft.append(analyzer)
            found.add(name)
    if found != set(TYPES):
        sys.exit(f"make_schema.py: field types {set(TYPES) - found} not found in {src}")
    add_govshare_fields(root, dataset_schema)
    close_data_fields(root)
    ET.indent(tree, "  ")
    return tree


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--analysis", choices=sorted(ANALYSES), default=DEFAULT)
    p.add_argument("--dataset-schema", default=repo_dataset_schema(), help="scheming dataset YAML")
    args = p.parse_args()
    src = ckan_schema_path()
    tree = build(src, args.analysis, args.dataset_schema)
    os.makedirs(args.out_dir, exist_ok=True)
    out = os.path.join(args.out_dir, "schema.xml")
    with open(out, "wb") as f:
        f.write(b"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n")
        f.write(f"<!-- Generated by solr/make_schema.py ({args.analysis}) from ckan's schema.xml. -->\n".encode())
        tree.write(f, encoding="utf-8", xml_declaration=False)
        f.write(b"\n")
    for name in ("protwords.txt", "synonyms.txt"):  # referenced by the schema; kept empty
        path = os.path.join(args.out_dir, name)
        if not os.path.exists(path):
            open(path, "w").close()


if __name__ == "__main__":
    main()
