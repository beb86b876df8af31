"""Package data of the sandbox: ``corpus.json.gz``, the synthetic posts the search engine serves.

Regenerate it with ``python -m sandbox.corpus.generate`` (needs the dev extras for Faker).
"""
