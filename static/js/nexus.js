/* NEXUS-PRIME browser tracker. No dependencies, no build step.
 *
 *   <script src="https://nexus.example/static/js/nexus.js"></script>
 *   <script>nexus.init("INGEST_KEY", {host: "https://nexus.example"});</script>
 *
 *   nexus.init(key, {host, flushInterval: 2000, maxBatch: 50, autocapture: true})
 *   nexus.track(event, properties)   queue one event
 *   nexus.identify(distinctId)       events from now on (and after reloads) carry this id
 *   nexus.reset()                    forget the identity: new anonymous id and session
 *   nexus.page()                     record a pageview now (for autocapture: false)
 *   nexus.flush()                    send what is queued now
 *
 * Events go to POST {host}/v1/events/batch as {"api_key", "events": [...]} (API.md
 * "Ingestion"), in batches of at most maxBatch, every flushInterval ms or as soon as a
 * batch is full. One request at a time; network errors, 429 and 5xx are retried with
 * backoff (Retry-After wins when the server exposes it), other 4xx drop the batch. Each
 * event has a uuid, so a retry is harmless. When the page is hidden, what is still
 * queued goes out with navigator.sendBeacon.
 *
 * The tracker never throws into the host page, and every call before init is a no-op.
 */
(function (window) {
  "use strict";

  if (window.nexus && window.nexus.track) return; // loaded twice: keep the first

  var document = window.document;
  var history = window.history;
  var SESSION_IDLE_MS = 30 * 60 * 1000;
  var MAX_QUEUE = 1000; // events kept while the server is unreachable (oldest dropped)
  var P = "nexus:"; // localStorage namespace
  var memory = {}; // storage fallback when localStorage is blocked

  var key, endpoint, interval, maxBatch;
  var queue = [];
  var pending = null; // the batch being sent or waiting for its retry
  var busy = false; // a request for `pending` is in flight
  var attempts = 0;
  var drain = false; // nexus.flush() asked for everything queued, not just full batches
  var timer = null;
  var lastPath = null;
  var lastUrl = null;

  function safe(fn) {
    return function () {
      try {
        return fn.apply(this, arguments);
      } catch (e) {
        /* never into the host page */
      }
    };
  }

  function get(name) {
    var value = null;
    try {
      value = window.localStorage.getItem(P + name);
    } catch (e) {
      /* blocked: memory only */
    }
    return value != null ? value : memory[name] || null;
  }

  function set(name, value) {
    memory[name] = value;
    try {
      window.localStorage.setItem(P + name, value);
    } catch (e) {
      /* private mode, sandboxed frame, full quota: memory only */
    }
  }

  function del(name) {
    delete memory[name];
    try {
      window.localStorage.removeItem(P + name);
    } catch (e) {
      /* as above */
    }
  }

  function uuid() {
    var c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID(); // secure contexts only
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
    b[6] = (b[6] & 15) | 64; // version 4
    b[8] = (b[8] & 63) | 128; // variant 10
    var h = "";
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1);
    return h.replace(/(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
  }

  function anonymousId() {
    var id = get("anon_id");
    if (!id) set("anon_id", (id = uuid()));
    return id;
  }

  // One session per browser (shared by its tabs), rotated after 30 min without an event.
  function sessionId() {
    var now = Date.now();
    var s;
    try {
      s = JSON.parse(get("session"));
    } catch (e) {
      /* unreadable: start a new one */
    }
    if (!s || !s.id || !(now - s.last < SESSION_IDLE_MS)) s = { id: uuid() };
    s.last = now;
    set("session", JSON.stringify(s));
    return s.id;
  }

  function track(event, properties) {
    if (!key || typeof event != "string" || !event) return;
    // A copy now: later changes by the caller don't leak in, and what cannot be JSON
    // (cycles, BigInt) is refused here rather than poisoning a whole batch.
    var isObject = properties && typeof properties == "object" && !Array.isArray(properties);
    properties = JSON.parse(JSON.stringify(isObject ? properties : {}));
    queue.push({
      event: event,
      distinct_id: get("distinct_id") || anonymousId(),
      session_id: sessionId(),
      uuid: uuid(),
      timestamp: new Date().toISOString(), // RFC 3339, UTC
      properties: properties,
    });
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    if (queue.length >= maxBatch) flush();
    else schedule();
  }

  function pageview(force) {
    var l = window.location;
    if (!force && l.pathname === lastPath) return; // same path again: not a new page
    track("pageview", {
      path: l.pathname,
      url: l.href,
      // After a single-page navigation the previous page is the referrer.
      referrer: lastUrl === null ? document.referrer : lastUrl,
      title: document.title,
      screen_width: window.screen.width,
      screen_height: window.screen.height,
      language: window.navigator.language,
    });
    lastPath = l.pathname;
    lastUrl = l.href;
  }

  function schedule() {
    if (!timer && !pending && queue.length) timer = setTimeout(safe(flush), interval);
  }

  function flush() {
    clearTimeout(timer);
    timer = null;
    if (pending) return; // the batch in flight sends the rest when done
    if (!queue.length) return (drain = false);
    pending = queue.splice(0, maxBatch);
    attempts = 0;
    send();
  }

  function body(events) {
    // The key goes in the body too: sendBeacon cannot set headers (API.md allows it).
    return JSON.stringify({ api_key: key, events: events });
  }

  function send() {
    timer = null;
    busy = true;
    var data = body(pending);
    var failed = safe(function () {
      busy = false;
      retry(null);
    });
    try {
      window
        .fetch(endpoint, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-API-Key": key },
          body: data,
          // keepalive lets a request outlive the page, but only up to 64 KB in flight.
          keepalive: data.length < 60000,
          credentials: "omit",
        })
        .then(
          safe(function (response) {
            var status = response.status;
            busy = false;
            if (status == 429 || status >= 500) retry(response.headers.get("Retry-After"));
            else done(); // 2xx; or a 4xx that no retry would fix: dropped
          }),
          failed
        );
    } catch (e) {
      failed();
    }
  }

  function done() {
    pending = null;
    if (queue.length && (drain || queue.length >= maxBatch)) flush();
    else {
      drain = false;
      schedule();
    }
  }

  function retry(retryAfter) {
    // Retry-After (seconds or an HTTP date) is only readable cross-origin when the
    // server sends Access-Control-Expose-Headers: Retry-After; else exponential backoff.
    var delay = NaN;
    if (retryAfter) delay = /^\s*\d+\s*$/.test(retryAfter) ? retryAfter * 1000 : Date.parse(retryAfter) - Date.now();
    if (!(delay >= 0)) delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts++;
    timer = setTimeout(safe(send), Math.min(Math.max(delay, 100), 300000));
  }

  // The page is going away (or may be killed while hidden): hand what is queued to
  // sendBeacon. A beacon cannot set headers, and a Blob of type text/plain keeps it a
  // CORS "simple" request without a preflight, so the SERVER MUST ACCEPT a text/plain
  // body on /v1/events/batch (parse it as JSON) and take the key from "api_key".
  function beacon() {
    var events = queue;
    queue = [];
    if (pending && !busy) {
      // Waiting for a retry: the page may not live long enough for it. (A request in
      // flight is keepalive and finishes on its own.)
      events = pending.concat(events);
      pending = null;
      clearTimeout(timer);
      timer = null;
    }
    if (!window.navigator.sendBeacon) {
      queue = events;
      return flush();
    }
    for (var i = 0; i < events.length; i += maxBatch) {
      var blob = new Blob([body(events.slice(i, i + maxBatch))], { type: "text/plain" });
      if (!window.navigator.sendBeacon(endpoint, blob)) {
        queue = events.slice(i); // over the beacon quota: keep them for later
        return schedule();
      }
    }
  }

  function number(value, fallback) {
    value = Math.floor(value);
    return value > 0 ? value : fallback;
  }

  function init(apiKey, options) {
    if (key || !apiKey || !window.fetch) return; // once only
    options = options || {};
    key = String(apiKey);
    endpoint = String(options.host || "").replace(/\/+$/, "") + "/v1/events/batch";
    interval = number(options.flushInterval, 2000);
    maxBatch = Math.min(number(options.maxBatch, 50), 10000);

    var hide = safe(beacon);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState == "hidden") hide();
    });
    window.addEventListener("pagehide", hide);

    if (options.autocapture !== false) {
      // Single-page navigation: after the original call (whose own errors are the host's
      // to see), once the router had a chance to set the title.
      var later = function () {
        setTimeout(safe(pageview), 0, false);
      };
      ["pushState", "replaceState"].forEach(function (name) {
        var original = history[name];
        if (typeof original != "function") return;
        history[name] = function () {
          var result = original.apply(this, arguments);
          later();
          return result;
        };
      });
      window.addEventListener("popstate", later);
      pageview(true);
    }
  }

  window.nexus = {
    init: safe(init),
    track: safe(track),
    identify: safe(function (distinctId) {
      if (key && distinctId != null && distinctId !== "") set("distinct_id", String(distinctId));
    }),
    reset: safe(function () {
      if (!key) return;
      del("distinct_id");
      del("session");
      set("anon_id", uuid());
    }),
    page: safe(function () {
      pageview(true);
    }),
    flush: safe(function () {
      if (key) {
        drain = true;
        flush();
      }
    }),
  };
})(window);
