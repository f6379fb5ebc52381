// The fleet's feed over a websocket: reconnect with backoff; the server sends a snapshot on every connect.

import { $ } from "./dom.js";
import { fleet, receive } from "./store.js";

let socket = null;
let backoff = 500;

function setLink(state, text) {
  const link = $("#link");
  link.dataset.state = state;
  link.textContent = text;
}

export function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/dispatch/fleets/${fleet.id}/`);
  socket.addEventListener("open", () => { backoff = 500; setLink("live", "live"); });
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  socket.addEventListener("close", (event) => {
    // 4401: the session is gone; 4403: not allowed on this fleet's feed (docs/api.md). Neither heals by
    // retrying: sign in again. Anything else (network, a server restart) reconnects with backoff.
    if (event.code === 4401 || event.code === 4403) {
      setLink("signed-out", "signed out");
      location.href = `/login/?next=${encodeURIComponent(location.pathname + location.search)}`;
      return;
    }
    setLink("reconnecting", "reconnecting…");
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 10000);
  });
}

export const dropConnection = () => socket && socket.close();
