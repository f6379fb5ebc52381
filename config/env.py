"""The single environment reader. Every setting that varies between machines comes from here."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
