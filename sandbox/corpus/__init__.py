"""The sandbox's synthetic corpus: its file format (:mod:`.store`) and its generator.

:mod:`.generate` composes posts from the tables in :mod:`.people` (who posts) and
:mod:`.phrasebook` (what they say). It needs Faker, a dev-only dependency, so nothing here
imports it; reading the shipped corpus needs only the standard library.
"""
