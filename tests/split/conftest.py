"""What only a split deployment can show (scripts/test-split.sh): collected when contexts have databases of their own,
as there are no per-context roles and databases to look at otherwise. tests/integration/test_split_databases.py
holds the checks that hold in both shapes."""

from logitrack.db import contexts

collect_ignore_glob = [] if contexts.split() else ["test_*.py"]
