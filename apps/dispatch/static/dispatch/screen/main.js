// The dispatch screen's entry point: start each part, then connect to the fleet's feed.

import * as alerts from "./alerts.js";
import * as board from "./board.js";
import * as detail from "./detail.js";
import * as drivers from "./drivers.js";
import * as filters from "./filters.js";
import * as layout from "./layout.js";
import * as map from "./map.js";
import * as newtrip from "./newtrip.js";
import * as plan from "./plan.js";
import * as search from "./search.js";
import { connect, dropConnection } from "./socket.js";
import { receive, resync, state } from "./store.js";

// Each part starts on its own: one that fails (say the map's library did not load) leaves the others working.
for (const [name, part] of Object.entries({ layout, map, filters, board, detail, drivers, alerts, search, newtrip, plan })) {
  try {
    part.start();
  } catch (error) {
    console.error(`dispatch screen: the ${name} did not start`, error);
  }
}

// the fleet picker submits on change (here, not in an inline handler: the Content-Security-Policy forbids those)
const picker = document.querySelector(".fleet-pick select");
if (picker) picker.addEventListener("change", () => picker.form.submit());

// for tests and the console
window.logitrackDispatch = { state, resync, dropConnection, receive };
connect();
