/* NEXUS-PRIME: small progressive enhancements for server-rendered pages.
 *
 * No dependencies. htmx is used when present but never required. Everything is
 * wired through event delegation on `document`, so markup swapped in by htmx
 * works without re-initialisation.
 *
 *   [data-theme-toggle]          toggle light/dark, persisted in localStorage
 *   [data-copy-target="#id"]     copy the target's value/text, announce "Copied"
 *   [data-reveal-target="#id"]   show/hide a masked copy field
 *   [data-dialog-open="#id"]     open a <dialog> modally; [data-dialog-close] closes
 *   [data-dismiss]               remove the closest .flash
 *   [data-sidebar-toggle]        open/close the mobile sidebar
 *   [role="tablist"]             ARIA tabs: click + arrow keys, panels via aria-controls
 *   [data-search]                focused by "/"
 *   keyboard: g then d/i/a/c/s/, to navigate; ? opens #shortcuts-dialog
 *   htmx: x-csrftoken header on same-origin requests; toasts for failed requests
 *         and for the server-sent HX-Trigger event "toast" ({kind, text}).
 *
 * Fires `nexus:themechange` on document (detail: {theme}) so charts can restyle.
 */
(function () {
  "use strict";

  var THEME_KEY = "nexus-theme";
  var doc = document;
  var root = doc.documentElement;

  /* ---------------------------------------------------------------------
   * Live region announcements
   * ------------------------------------------------------------------ */
  var announceTimer = null;
  function announce(message) {
    var region = doc.getElementById("live-region");
    if (!region) return;
    // Clear first so repeating the same message is announced again.
    region.textContent = "";
    window.clearTimeout(announceTimer);
    announceTimer = window.setTimeout(function () {
      region.textContent = message;
    }, 50);
  }

  /* ---------------------------------------------------------------------
   * Theme
   * ------------------------------------------------------------------ */
  var darkQuery = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function storedTheme() {
    try {
      var value = window.localStorage.getItem(THEME_KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (e) {
      return null;
    }
  }

  function effectiveTheme() {
    var explicit = root.getAttribute("data-theme");
    if (explicit === "light" || explicit === "dark") return explicit;
    return darkQuery && darkQuery.matches ? "dark" : "light";
  }

  function syncThemeToggles() {
    var theme = effectiveTheme();
    var next = theme === "dark" ? "light" : "dark";
    var toggles = doc.querySelectorAll("[data-theme-toggle]");
    for (var i = 0; i < toggles.length; i++) {
      toggles[i].setAttribute("aria-label", "Switch to " + next + " theme");
      toggles[i].setAttribute("title", "Switch to " + next + " theme");
    }
  }

  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    try {
      window.localStorage.setItem(THEME_KEY, theme);
    } catch (e) {
      /* private mode: the choice lasts for this page only */
    }
    syncThemeToggles();
    announce(theme === "dark" ? "Dark theme on" : "Light theme on");
    doc.dispatchEvent(new CustomEvent("nexus:themechange", { detail: { theme: theme } }));
  }

  if (darkQuery) {
    var onSchemeChange = function () {
      if (storedTheme()) return; // an explicit choice wins over the OS
      syncThemeToggles();
      doc.dispatchEvent(new CustomEvent("nexus:themechange", { detail: { theme: effectiveTheme() } }));
    };
    if (darkQuery.addEventListener) darkQuery.addEventListener("change", onSchemeChange);
    else if (darkQuery.addListener) darkQuery.addListener(onSchemeChange);
  }

  /* ---------------------------------------------------------------------
   * Clipboard
   * ------------------------------------------------------------------ */
  function textOf(target) {
    if (target.hasAttribute("data-copy-value")) return target.getAttribute("data-copy-value");
    if ("value" in target && typeof target.value === "string") return target.value;
    return target.textContent || "";
  }

  function legacyCopy(text) {
    var scratch = doc.createElement("textarea");
    scratch.value = text;
    scratch.setAttribute("readonly", "");
    scratch.style.position = "fixed";
    scratch.style.opacity = "0";
    doc.body.appendChild(scratch);
    scratch.select();
    var ok = false;
    try {
      ok = doc.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    doc.body.removeChild(scratch);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return legacyCopy(text);
      });
    }
    return legacyCopy(text);
  }

  function flashButton(button, label, className) {
    var labelEl = button.querySelector("[data-copy-label]") || button;
    if (!button.hasAttribute("data-original-label")) {
      button.setAttribute("data-original-label", labelEl.textContent);
    }
    labelEl.textContent = label;
    button.classList.add(className);
    window.clearTimeout(button._nexusCopyTimer);
    button._nexusCopyTimer = window.setTimeout(function () {
      labelEl.textContent = button.getAttribute("data-original-label");
      button.removeAttribute("data-original-label");
      button.classList.remove(className);
    }, 1600);
  }

  function handleCopy(button) {
    var target = doc.querySelector(button.getAttribute("data-copy-target"));
    if (!target) return;
    copyText(textOf(target)).then(
      function () {
        flashButton(button, "Copied", "is-copied");
        announce("Copied");
      },
      function () {
        // Fall back to selecting the text so the user can press Ctrl/Cmd+C.
        if (typeof target.select === "function") target.select();
        announce("Copy failed. The text is selected; press Control or Command plus C.");
      }
    );
  }

  function handleReveal(button) {
    var target = doc.querySelector(button.getAttribute("data-reveal-target"));
    if (!target) return;
    var revealed = button.getAttribute("aria-pressed") === "true";
    var labelEl = button.querySelector("[data-reveal-label]") || button;
    if (revealed) {
      target.value = target.getAttribute("data-masked-value") || "";
      target.setAttribute("data-masked", "true");
      button.setAttribute("aria-pressed", "false");
      labelEl.textContent = "Reveal";
      announce("Hidden");
    } else {
      target.value = target.getAttribute("data-copy-value") || "";
      target.setAttribute("data-masked", "false");
      button.setAttribute("aria-pressed", "true");
      labelEl.textContent = "Hide";
      announce("Revealed");
    }
  }

  /* ---------------------------------------------------------------------
   * Dialogs
   * ------------------------------------------------------------------ */
  function openDialog(dialog, opener) {
    if (!dialog || typeof dialog.showModal !== "function" || dialog.open) return;
    dialog._nexusOpener = opener || doc.activeElement;
    dialog.showModal();
    var autofocus = dialog.querySelector("[autofocus]");
    if (autofocus) autofocus.focus();
  }

  function closeDialog(dialog, returnValue) {
    if (dialog && dialog.open) dialog.close(returnValue);
  }

  // Return focus to whatever opened the dialog (also after Escape).
  doc.addEventListener(
    "close",
    function (event) {
      var dialog = event.target;
      if (!(dialog instanceof HTMLElement) || dialog.tagName !== "DIALOG") return;
      var opener = dialog._nexusOpener;
      dialog._nexusOpener = null;
      if (opener && typeof opener.focus === "function" && doc.contains(opener)) opener.focus();
    },
    true
  );

  /* ---------------------------------------------------------------------
   * Toasts (#toasts region) and flashes
   * ------------------------------------------------------------------ */
  var ICONS = {
    success: '<path d="M20 6 9 17l-5-5"/>',
    error: '<circle cx="12" cy="12" r="9"/><path d="M12 8v4.5M12 16h.01"/>',
    warning: '<path d="M12 3 2 20h20L12 3Z"/><path d="M12 10v4M12 17h.01"/>',
    info: '<circle cx="12" cy="12" r="9"/><path d="M12 11v5M12 8h.01"/>'
  };

  function dismiss(el) {
    if (!el || !el.parentNode) return;
    el.classList.add("is-leaving");
    window.setTimeout(function () {
      if (el.parentNode) el.parentNode.removeChild(el);
    }, 170);
  }

  function scheduleToastDismiss(toast) {
    // Errors stay until dismissed; others leave after a while, but not while
    // the pointer or focus is on them.
    if (toast.classList.contains("flash--error") || toast.hasAttribute("data-persist")) return;
    var timer = null;
    var arm = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        dismiss(toast);
      }, 6000);
    };
    var disarm = function () {
      window.clearTimeout(timer);
    };
    toast.addEventListener("mouseenter", disarm);
    toast.addEventListener("mouseleave", arm);
    toast.addEventListener("focusin", disarm);
    toast.addEventListener("focusout", arm);
    arm();
  }

  function toast(kind, text) {
    var region = doc.getElementById("toasts");
    if (!region) {
      announce(text);
      return;
    }
    kind = ICONS[kind] ? kind : "info";
    var el = doc.createElement("div");
    el.className = "flash flash--" + kind;
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.innerHTML =
      '<span class="flash__icon" aria-hidden="true"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
      ICONS[kind] +
      '</svg></span><div class="flash__body"></div>' +
      '<button type="button" class="flash__close" data-dismiss aria-label="Dismiss"><svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true"><path d="M18 6 6 18M6 6l12 12"/></svg></button>';
    el.querySelector(".flash__body").textContent = text;
    region.appendChild(el);
    scheduleToastDismiss(el);
  }

  // Toasts swapped in by htmx (e.g. hx-swap-oob="beforeend:#toasts").
  doc.addEventListener("htmx:load", function (event) {
    var el = event.target;
    if (el && el.classList && el.classList.contains("flash") && el.parentNode && el.parentNode.id === "toasts") {
      scheduleToastDismiss(el);
    }
  });

  // Server-sent event: HX-Trigger: {"toast": {"kind": "success", "text": "Saved"}}
  doc.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    if (detail.text) toast(detail.kind || "info", String(detail.text));
  });

  /* ---------------------------------------------------------------------
   * Mobile sidebar
   * ------------------------------------------------------------------ */
  function setSidebar(open) {
    var shell = doc.querySelector(".app-shell");
    if (!shell) return;
    var toggles = doc.querySelectorAll("[data-sidebar-toggle]");
    if (open) shell.setAttribute("data-sidebar-open", "");
    else shell.removeAttribute("data-sidebar-open");
    for (var i = 0; i < toggles.length; i++) toggles[i].setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = doc.querySelector(".sidebar a, .sidebar button");
      if (first) first.focus();
    }
  }
  function sidebarOpen() {
    var shell = doc.querySelector(".app-shell");
    return !!(shell && shell.hasAttribute("data-sidebar-open"));
  }

  /* ---------------------------------------------------------------------
   * Tabs (WAI-ARIA pattern, automatic activation)
   * ------------------------------------------------------------------ */
  function tabsOf(tablist) {
    return Array.prototype.slice.call(tablist.querySelectorAll('[role="tab"]'));
  }

  function activateTab(tab, focus) {
    var tablist = tab.closest('[role="tablist"]');
    if (!tablist) return;
    tabsOf(tablist).forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.setAttribute("tabindex", selected ? "0" : "-1");
      var panelId = other.getAttribute("aria-controls");
      var panel = panelId ? doc.getElementById(panelId) : null;
      if (panel) panel.hidden = !selected;
    });
    if (focus) tab.focus();
  }

  /* ---------------------------------------------------------------------
   * Click delegation
   * ------------------------------------------------------------------ */
  doc.addEventListener("click", function (event) {
    var t = event.target;
    if (!(t instanceof Element)) return;
    var el;

    if ((el = t.closest("[data-theme-toggle]"))) {
      setTheme(effectiveTheme() === "dark" ? "light" : "dark");
      return;
    }
    if ((el = t.closest("[data-copy-target]"))) {
      event.preventDefault();
      handleCopy(el);
      return;
    }
    if ((el = t.closest("[data-reveal-target]"))) {
      event.preventDefault();
      handleReveal(el);
      return;
    }
    if ((el = t.closest("[data-dialog-open]"))) {
      event.preventDefault();
      openDialog(doc.querySelector(el.getAttribute("data-dialog-open")), el);
      return;
    }
    if ((el = t.closest("[data-dialog-close]"))) {
      event.preventDefault();
      closeDialog(el.closest("dialog"), el.getAttribute("data-dialog-close") || "");
      return;
    }
    if ((el = t.closest("[data-dismiss]"))) {
      dismiss(el.closest(".flash") || el.parentElement);
      return;
    }
    if ((el = t.closest("[data-sidebar-toggle]"))) {
      setSidebar(!sidebarOpen());
      return;
    }
    if (t.classList.contains("sidebar-scrim")) {
      setSidebar(false);
      return;
    }
    if ((el = t.closest('[role="tab"]'))) {
      activateTab(el, false);
      return;
    }
    // Click on a modal dialog's backdrop closes it (the dialog element itself
    // receives the click; its content never does because it fills the box).
    if (t.tagName === "DIALOG" && t.open && !t.hasAttribute("data-dialog-static")) {
      var r = t.getBoundingClientRect();
      var inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) closeDialog(t, "");
    }
  });

  /* ---------------------------------------------------------------------
   * Keyboard
   * ------------------------------------------------------------------ */
  var GO_TO = {
    d: "/dashboards",
    i: "/insights",
    a: "/applications",
    c: "/commands",
    s: "/support",
    ",": "/settings"
  };
  var pendingG = false;
  var pendingTimer = null;

  function isTyping(el) {
    if (!el || !(el instanceof Element)) return false;
    if (el.isContentEditable) return true;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") {
      var type = (el.getAttribute("type") || "text").toLowerCase();
      return ["button", "submit", "reset", "checkbox", "radio", "range", "color", "file", "image"].indexOf(type) === -1;
    }
    return false;
  }

  doc.addEventListener("keydown", function (event) {
    // Tabs: arrow-key navigation within a tablist.
    var tab = event.target instanceof Element ? event.target.closest('[role="tab"]') : null;
    if (tab) {
      var tabs = tabsOf(tab.closest('[role="tablist"]'));
      var index = tabs.indexOf(tab);
      var nextIndex = null;
      if (event.key === "ArrowRight") nextIndex = (index + 1) % tabs.length;
      else if (event.key === "ArrowLeft") nextIndex = (index - 1 + tabs.length) % tabs.length;
      else if (event.key === "Home") nextIndex = 0;
      else if (event.key === "End") nextIndex = tabs.length - 1;
      if (nextIndex !== null) {
        event.preventDefault();
        activateTab(tabs[nextIndex], true);
        tabs[nextIndex].click(); // lets hx-get tabs load their panel
        return;
      }
    }

    if (event.key === "Escape" && sidebarOpen()) {
      setSidebar(false);
      var toggle = doc.querySelector("[data-sidebar-toggle]");
      if (toggle) toggle.focus();
      return;
    }

    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    if (doc.querySelector("dialog[open]")) return; // a modal owns the keyboard

    var key = event.key;

    if (pendingG) {
      pendingG = false;
      window.clearTimeout(pendingTimer);
      var href = GO_TO[key.toLowerCase()];
      if (href) {
        event.preventDefault();
        window.location.assign(href);
      }
      return;
    }

    if (key === "g" || key === "G") {
      pendingG = true;
      pendingTimer = window.setTimeout(function () {
        pendingG = false;
      }, 1500);
      return;
    }

    if (key === "/") {
      var search = doc.querySelector("[data-search]");
      if (search) {
        event.preventDefault();
        search.focus();
        if (typeof search.select === "function") search.select();
      }
      return;
    }

    if (key === "?") {
      var dialog = doc.getElementById("shortcuts-dialog");
      if (dialog) {
        event.preventDefault();
        openDialog(dialog, doc.activeElement);
      }
    }
  });

  /* ---------------------------------------------------------------------
   * htmx integration
   * ------------------------------------------------------------------ */
  function csrfToken() {
    var meta = doc.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function sameOrigin(path) {
    try {
      return new URL(path, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  doc.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!detail || !detail.headers) return;
    var token = csrfToken();
    // Never hand the token to another origin.
    if (token && sameOrigin(detail.path || "")) detail.headers["x-csrftoken"] = token;
  });

  // htmx does not swap error responses by default, so without this a failed
  // action would look like nothing happened.
  doc.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    if (status === 403) toast("error", "You don't have permission to do that, or your session expired. Reload the page and try again.");
    else if (status === 429) toast("error", "Too many requests. Please wait a moment and try again.");
    else if (status >= 500) toast("error", "Something went wrong on our side (" + status + "). Please try again.");
  });
  doc.addEventListener("htmx:sendError", function () {
    toast("error", "Network error: the server could not be reached.");
  });

  /* ---------------------------------------------------------------------
   * Init
   * ------------------------------------------------------------------ */
  function init() {
    syncThemeToggles();
    // Flashes rendered with the page that are toasts get auto-dismissed too.
    var initial = doc.querySelectorAll("#toasts > .flash");
    for (var i = 0; i < initial.length; i++) scheduleToastDismiss(initial[i]);
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", init);
  else init();
})();
