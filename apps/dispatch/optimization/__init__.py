"""Vehicle routing with time windows on OR-Tools (and PyVRP where it fits): the solver every routing job and the
benchmark use. Pure: no Django, no database; problems in, routes out.

- `routing_model`: the integer model every job and the benchmark solve (vehicles, chains, windows, loads) and
  `check_routes`, the independent checker that vets every answer;
- `solver`: `solve_model`, differently tuned searches in parallel within a wall-time limit;
- `portfolio`: `solve`, what jobs and the benchmark call: PyVRP beside `solve_model` on the models PyVRP represents
  exactly (plain VRPTW, depot rounds), the better checked plan kept; OR-Tools alone on the rest;
- `insertion`: putting one trip into existing routes without a re-solve (`insert_chain`), and the trips a search
  left out back in;
- `solomon`: the Solomon VRPTW benchmark's reader, checker and view of the same solver.

The solver stops on its own time limit (never a Celery soft limit, which OR-Tools can swallow and then report a
bogus optimum). Travel costs go in as matrices, so no Python runs inside the search. Both cores are used by running
differently tuned searches in parallel and keeping the best.
"""
