// Paints a fleet's colour on a public page (tracking, unsubscribe): the first `.brand[data-colour]` sets the CSS
// variables --accent, --on-accent (dark or white text, whichever reads on it) and --accent-soft. Through the CSSOM,
// which the content security policy allows (no inline style). A classic deferred script; pages style with
// var(--accent, <their default>).
(function () {
  "use strict";
  const bar = document.querySelector(".brand[data-colour]");
  const colour = bar && bar.dataset.colour;
  if (!colour || !/^#[0-9a-fA-F]{6}$/.test(colour)) return;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  const lum = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
  const light = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
  const root = document.documentElement.style;
  root.setProperty("--accent", colour);
  root.setProperty("--on-accent", light > 0.45 ? "#17212b" : "#ffffff");
  root.setProperty("--accent-soft", `rgba(${r}, ${g}, ${b}, 0.13)`);
})();
