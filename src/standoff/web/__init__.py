"""The analyst's workbench: ``standoff serve`` (FastAPI app over :mod:`standoff.web.services`)."""
