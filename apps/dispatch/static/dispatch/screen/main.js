// The dispatch screen's entry point: start each part, then connect to the fleet's feed.

import * as board from "./board.js";
import * as map from "./map.js";
import * as plan from "./plan.js";
import { connect, dropConnection } from "./socket.js";
import { resync, state } from "./store.js";

map.start();
board.start();
plan.start();

// the fleet picker submits on change (here, not in an inline handler: the Content-Security-Policy forbids those)
const picker = document.querySelector(".fleet-pick select");
if (picker) picker.addEventListener("change", () => picker.form.submit());

// for tests and the console
window.logitrackDispatch = { state, resync, dropConnection };
connect();
