# The README's commands. Everything is done by scripts/stack.sh (see its header).
.PHONY: run dev test stop bench

run:   ## install what is missing, start PostgreSQL/Redis/Solr, load the demo city, serve CKAN (gunicorn) and the RQ worker
	bash scripts/stack.sh run

dev:   ## the same, with `ckan run` in the foreground (auto-reload) instead of gunicorn
	bash scripts/stack.sh dev

test:  ## the same stack with its own database and Solr core, then pytest (GOVSHARE_TEST_WORKERS=N: N xdist workers; default one per core)
	bash scripts/stack.sh test $(ARGS)

stop:  ## stop exactly what run/test started
	bash scripts/stack.sh stop

bench: ## stock CKAN and govshare side by side on the same data (bench/search.py)
	bash bench/run_all.sh $(ARGS)
