// Recorders for the only modules a Quickback definition may import. Nothing
// here reaches the host: each call returns a plain description of itself,
// which __qbPlain turns into JSON for the Go side. __qbLoc (Go) names the
// file and line of the definition that made the call.
(function (g) {
  "use strict";
  var loc = g.__qbLoc;
  var MAX_STRING = g.__qbMaxString;
  delete g.__qbLoc;
  delete g.__qbMaxString;

  // Strings are the one value a definition can grow without bound in a
  // single call; refuse the big ones before they are allocated.
  function limited(name, orig, length) {
    Object.defineProperty(String.prototype, name, {
      value: function () {
        var n = length.apply(this, arguments);
        if (n > MAX_STRING) {
          throw new RangeError("a string of " + n + " characters is over the import sandbox's limit of " + MAX_STRING);
        }
        return orig.apply(this, arguments);
      },
      writable: true, configurable: true,
    });
  }
  var sp = String.prototype;
  limited("repeat", sp.repeat, function (c) { return String(this).length * Math.max(0, Math.floor(Number(c)) || 0); });
  limited("padStart", sp.padStart, function (n) { return Math.max(String(this).length, Number(n) || 0); });
  limited("padEnd", sp.padEnd, function (n) { return Math.max(String(this).length, Number(n) || 0); });
  var join = Array.prototype.join;
  Object.defineProperty(Array.prototype, "join", {
    value: function (sep) {
      var s = sep === undefined ? 1 : String(sep).length;
      if (this.length * s > MAX_STRING) {
        throw new RangeError("joining " + this.length + " elements is over the import sandbox's limit of " + MAX_STRING + " characters");
      }
      return join.apply(this, arguments);
    },
    writable: true, configurable: true,
  });

  // chain records a builder expression such as q.text().required() or
  // z.string().max(200): every property read and call is kept, in order.
  function chain(root, calls) {
    return new Proxy(function () {}, {
      get: function (t, prop) {
        if (prop === "__qbChain") return { root: root, calls: calls };
        if (typeof prop === "symbol" || prop === "then" || prop === "toJSON") return undefined;
        return chain(root, calls.concat([{ m: String(prop), a: null }]));
      },
      apply: function (t, self, argv) {
        // goja may reuse the trap's argument array: copy it first.
        var args = [];
        for (var i = 0; i < argv.length; i++) args.push(argv[i]);
        var last = calls.length ? calls[calls.length - 1] : { m: "" };
        var l = loc();
        return chain(root, calls.slice(0, -1).concat([{ m: last.m, a: args, line: l.line }]));
      },
    });
  }

  function colref(table, column) {
    return { __qb: "colref", table: table, column: column };
  }

  function hide(obj, key, value) {
    if (!(key in obj)) Object.defineProperty(obj, key, { value: value, enumerable: false });
  }

  // module wraps a recorder module: known names are its own properties, any
  // other name records a call of that name.
  function module(root, known) {
    return new Proxy(known, {
      get: function (t, prop) {
        if (prop in t || typeof prop === "symbol") return t[prop];
        return chain(root, [{ m: String(prop), a: null }]);
      },
    });
  }

  var compiler = {
    __esModule: true,
    defineConfig: function (cfg) { return { __qb: "config", config: cfg, loc: loc() }; },
    defineTable: function (table, cfg) { return { __qb: "defineTable", table: table, config: cfg, loc: loc() }; },
    feature: function (name, cfg) {
      var f = { __qb: "feature", name: name, config: cfg, loc: loc() };
      var cols = cfg && typeof cfg === "object" ? cfg.columns : null;
      if (cols && typeof cols === "object") {
        Object.keys(cols).forEach(function (k) { hide(f, k, colref(name, k)); });
      }
      return f;
    },
    defineActions: function (table, actions) { return { __qb: "actions", table: table, actions: actions, loc: loc() }; },
    q: chain("q", []),
  };

  var drizzleCore = { __esModule: true };
  drizzleCore.sqliteTable = function (name, columns, extra) {
    var t = { __qb: "drizzle", name: name, columns: columns, loc: loc() };
    var refs = {};
    if (columns && typeof columns === "object") {
      Object.keys(columns).forEach(function (k) {
        refs[k] = colref(name, k);
        hide(t, k, refs[k]);
      });
    }
    if (typeof extra === "function") t.extra = extra(refs);
    else if (extra !== undefined) t.extra = extra;
    return t;
  };

  var zod = chain("z", []);
  g.__qbModules = {
    "@quickback/compiler": module("q", compiler),
    "zod": module("z", { __esModule: true, z: zod, default: zod }),
    "drizzle-orm": module("orm", { __esModule: true }),
    "drizzle-orm/sqlite-core": module("col", drizzleCore),
  };

  // __qbPlain turns recorded values into data JSON can carry: chains become
  // {__chain, calls}, functions {__fn, src}; a references(() => t.col) thunk
  // is called to learn its target.
  var MAX_NODES = 200000;
  g.__qbPlain = function (root) {
    var nodes = 0;
    var stack = [];
    function plain(v, depth) {
      if (++nodes > MAX_NODES) throw new RangeError("the definitions are too large to import (over " + MAX_NODES + " values)");
      if (depth > 64) throw new RangeError("the definitions nest deeper than 64 levels");
      if (v === null || v === undefined) return null;
      var t = typeof v;
      if (t === "string" || t === "boolean") return v;
      if (t === "number") return isFinite(v) ? v : String(v);
      if (t === "bigint") return String(v);
      if (t === "symbol") return String(v);
      var ch = v.__qbChain;
      if (ch !== undefined) {
        return {
          __chain: ch.root,
          calls: ch.calls.map(function (c) {
            var args = null;
            if (c.a !== null) {
              args = c.a.map(function (a, i) {
                if (c.m === "references" && i === 0 && typeof a === "function" && a.__qbChain === undefined) {
                  return plain(a(), depth + 1);
                }
                return plain(a, depth + 1);
              });
            }
            return { m: c.m, a: args, line: c.line || 0 };
          }),
        };
      }
      if (t === "function") return { __fn: true, src: Function.prototype.toString.call(v) };
      if (v instanceof Date) return v.toISOString();
      if (v instanceof RegExp) return String(v);
      if (stack.indexOf(v) >= 0) return { __cycle: true };
      stack.push(v);
      var out;
      if (Array.isArray(v)) {
        out = v.map(function (e) { return plain(e, depth + 1); });
      } else {
        out = {};
        Object.keys(v).forEach(function (k) { out[k] = plain(v[k], depth + 1); });
      }
      stack.pop();
      return out;
    };
    return JSON.stringify(plain(root, 0));
  };
})(this);
