"""Ingest jobs of one shape (:mod:`xcat.jobs.base`) and the one runner
(:mod:`xcat.jobs.runner`): files, TAP queries and uploads, photometry, products, demo.
"""
