'use strict';
// The approvers' page: renders the Block Kit messages the bridge posted to the local Slack and sends clicks back as
// Slack would (the server signs them). Everything from a message is put on the page as text nodes, never as HTML:
// the bridge's messages carry text from AWS events (rule descriptions, names), which must not become markup.

const $ = (id) => document.getElementById(id);
let state = null;
let current = null;
let renderedVersion = -1;
let renderedUser = null;
const seenVersions = new Map();

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

// Slack escapes &, < and > in message text as entities; control sequences are <…>.
function decode(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function token(inner) {
  const [target, label] = splitOnce(inner, '|');
  if (target.startsWith('@')) return el('span', 'mention', '@' + decode(label || target.slice(1)));
  if (target.startsWith('#')) return el('span', 'mention', '#' + decode(label || target.slice(1)));
  if (target.startsWith('!subteam^')) return el('span', 'mention', decode(label || '@' + target.slice(9)));
  if (target.startsWith('!date^')) return document.createTextNode(decode(label || ''));
  if (target.startsWith('!')) return el('span', 'mention', '@' + target.slice(1));
  if (/^(https?:|mailto:)/i.test(target)) {
    const a = el('a', null, decode(label || target));
    a.href = decode(target);
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }
  return document.createTextNode(decode(label || target));
}

function splitOnce(s, sep) {
  const i = s.indexOf(sep);
  return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
}

const inlinePattern = /<([^<>\n]+)>|`([^`\n]+)`|\*([^*\n]+)\*|(?<![A-Za-z0-9])_([^_\n]+)_(?![A-Za-z0-9])|~([^~\n]+)~/g;

// Emoji shortcodes the bridge uses, as symbols most fonts have (an unknown one stays as written, as in Slack's fallback).
const emoji = {
  warning: '⚠', white_check_mark: '✔', heavy_check_mark: '✔', x: '✖', no_entry: '⛔', no_entry_sign: '⊘', dart: '◎',
  rotating_light: '⚠', hourglass: '⌛', hourglass_flowing_sand: '⌛', lock: '🔒', unlock: '🔓', shield: '🛡', clock1: '◷',
  information_source: 'ℹ', arrow_right: '→', recycle: '♻', memo: '✎', bust_in_silhouette: '👤', mag: '🔍',
};

function text(s, into) {
  let last = 0;
  for (const m of s.matchAll(/:([a-z0-9_+-]+):/g)) {
    if (!(m[1] in emoji)) continue;
    if (m.index > last) into.appendChild(document.createTextNode(decode(s.slice(last, m.index))));
    into.appendChild(el('span', 'emoji', emoji[m[1]])).title = m[0];
    last = m.index + m[0].length;
  }
  if (last < s.length) into.appendChild(document.createTextNode(decode(s.slice(last))));
}

function inline(source, into) {
  let last = 0;
  for (const m of source.matchAll(inlinePattern)) {
    if (m.index > last) text(source.slice(last, m.index), into);
    if (m[1] !== undefined) into.appendChild(token(m[1]));
    else if (m[2] !== undefined) into.appendChild(el('code', null, decode(m[2])));
    else {
      const tag = m[3] !== undefined ? 'b' : m[4] !== undefined ? 'i' : 's';
      const inner = el(tag);
      inline(m[3] ?? m[4] ?? m[5], inner);
      into.appendChild(inner);
    }
    last = m.index + m[0].length;
  }
  if (last < source.length) text(source.slice(last), into);
}

function mrkdwn(text, verbatim) {
  const out = el('div', 'mrkdwn');
  const parts = text.split(/```([\s\S]*?)```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      out.appendChild(el('pre', null, decode(part)));
      return;
    }
    const lines = part.split('\n');
    lines.forEach((line, j) => {
      let target = out;
      if (line.startsWith('&gt;')) {
        target = el('blockquote');
        out.appendChild(target);
        line = line.replace(/^&gt;\s?/, '');
      }
      // verbatim (as in Slack) only turns off the auto-linking of bare URLs, channel names and mentions, which this
      // page never does; explicit markup (<@U…>, <url|text>, *bold*, `code`, <!date…>) renders either way.
      inline(line, target);
      if (j < lines.length - 1 && target === out) out.appendChild(el('br'));
    });
  });
  return out;
}

function textObject(t) {
  if (!t) return el('span');
  return t.type === 'mrkdwn' ? mrkdwn(t.text || '', t.verbatim) : el('span', 'plain', t.text || '');
}

function plain(t) {
  return t ? (t.text || '') : '';
}

function element(msg, block, e) {
  switch (e.type) {
    case 'button': {
      if (e.url) {
        const a = el('a', 'btn', plain(e.text));
        if (/^https?:/i.test(e.url)) a.href = e.url;
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        return a;
      }
      const b = el('button', 'btn' + (e.style ? ' ' + e.style : ''), plain(e.text));
      b.dataset.actionId = e.action_id || '';
      b.addEventListener('click', () => act(msg, block, e, null, b));
      return b;
    }
    case 'static_select':
    case 'overflow': {
      const s = el('select', 'element');
      s.dataset.actionId = e.action_id || '';
      s.appendChild(el('option', null, e.type === 'overflow' ? '⋯' : plain(e.placeholder) || 'Choose…')).value = '';
      const groups = e.option_groups ? e.option_groups : [{ options: e.options || [] }];
      for (const g of groups) {
        const parent = g.label ? s.appendChild(Object.assign(el('optgroup'), { label: plain(g.label) })) : s;
        for (const o of g.options || []) {
          const opt = el('option', null, plain(o.text));
          opt.value = o.value;
          parent.appendChild(opt);
        }
      }
      if (e.initial_option) s.value = e.initial_option.value;
      s.addEventListener('change', () => {
        if (!s.value) return;
        const o = s.options[s.selectedIndex];
        act(msg, block, e, { value: s.value, text: o.textContent }, s);
      });
      return s;
    }
    case 'image':
      return el('span', 'context-image', '[' + (e.alt_text || 'image') + ']');
    default:
      if (e.type === 'mrkdwn' || e.type === 'plain_text') return textObject(e);
      return el('span', 'empty', '[' + e.type + ']');
  }
}

function block(msg, b) {
  const wrap = el('div', 'block ' + b.type);
  if (b.block_id) wrap.dataset.blockId = b.block_id;
  switch (b.type) {
    case 'header':
      wrap.textContent = plain(b.text);
      break;
    case 'section': {
      const body = el('div', 'section-body');
      if (b.text) body.appendChild(textObject(b.text));
      if (b.fields) {
        const f = el('div', 'fields');
        b.fields.forEach((x) => f.appendChild(textObject(x)));
        body.appendChild(f);
      }
      wrap.appendChild(body);
      if (b.accessory) wrap.appendChild(element(msg, b, b.accessory));
      break;
    }
    case 'context':
      (b.elements || []).forEach((x) => wrap.appendChild(element(msg, b, x)));
      break;
    case 'actions':
      (b.elements || []).forEach((x) => wrap.appendChild(element(msg, b, x)));
      break;
    case 'divider':
      return el('hr', 'divider');
    case 'image':
      wrap.textContent = '[' + (b.alt_text || 'image') + ']';
      break;
    default:
      wrap.appendChild(el('span', 'empty', '[' + b.type + ' block]'));
  }
  return wrap;
}

function message(m, small) {
  const key = m.channel + '/' + m.ts;
  const row = el('div', 'msg' + (m.ephemeralUser ? ' ephemeral' : ''));
  row.dataset.ts = m.ts;
  row.dataset.channel = m.channel;
  row.dataset.version = m.version;
  const before = seenVersions.get(key);
  if (before !== undefined && before < m.version) row.classList.add('updated');
  seenVersions.set(key, m.version);
  row.appendChild(el('div', 'avatar', 'SG'));
  const body = el('div', 'body');
  const meta = el('div', 'meta');
  meta.appendChild(el('b', null, 'SgBridge'));
  meta.appendChild(document.createTextNode(new Date(m.at).toLocaleTimeString()));
  if (m.version > 1) meta.appendChild(el('span', 'edited', '(edited ' + (m.version - 1) + '×)'));
  body.appendChild(meta);
  if (m.ephemeralUser) body.appendChild(el('div', 'only', 'Only visible to you (' + m.ephemeralUser + ')'));
  if (m.blocks && m.blocks.length) m.blocks.forEach((b) => body.appendChild(block(m, b)));
  else body.appendChild(mrkdwn(m.text || '', false));
  row.appendChild(body);
  if (!small) {
    const replies = state.messages.filter((r) => r.channel === m.channel && r.threadTs === m.ts && r.ts !== m.ts);
    if (replies.length) {
      const thread = el('div', 'thread');
      thread.appendChild(el('div', 'meta', replies.length + (replies.length === 1 ? ' reply' : ' replies')));
      replies.forEach((r) => thread.appendChild(message(r, true)));
      body.appendChild(thread);
    }
  }
  return row;
}

function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  const d = $('confirm');
  $('confirm-title').textContent = plain(confirm.title) || 'Are you sure?';
  $('confirm-text').replaceChildren(textObject(confirm.text));
  $('confirm-ok').textContent = plain(confirm.confirm) || 'Yes';
  $('confirm-ok').className = 'btn ' + (confirm.style === 'danger' ? 'danger' : 'primary');
  $('confirm-deny').textContent = plain(confirm.deny) || 'Cancel';
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue === 'ok'), { once: true });
    d.returnValue = '';
    d.showModal();
  });
}

async function act(m, b, e, selected, control) {
  if (!(await confirmFirst(e.confirm))) return;
  const user = $('user').value;
  const label = selected ? selected.text : plain(e.text);
  const entry = el('li', null, user + ' → ' + label + ' … ');
  $('log').prepend(entry);
  control.disabled = true;
  try {
    const response = await fetch('/page/click', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        channel: m.channel, ts: m.ts, actionId: e.action_id, blockId: b.block_id || null,
        value: e.value ?? null, user, selectedValue: selected ? selected.value : null, selectedText: selected ? selected.text : null,
      }),
    });
    const answer = await response.json();
    const ok = answer.status >= 200 && answer.status < 300;
    const result = el('span', ok ? 'ok' : 'fail', 'HTTP ' + answer.status + (ok ? ' (accepted)' : ' (refused)'));
    entry.appendChild(result);
    if (answer.body) entry.appendChild(el('div', 'meta', answer.body.slice(0, 300)));
  } catch (err) {
    entry.appendChild(el('span', 'fail', String(err)));
  } finally {
    control.disabled = false;
    poll();
  }
}

function renderChannels() {
  const nav = $('channels');
  nav.replaceChildren();
  for (const c of state.channels) {
    const b = el('button', c.id === current ? 'active' : null, (c.dm ? '@ ' : '# ') + c.name + (c.dm ? ' (direct message)' : ''));
    b.dataset.channel = c.id;
    const n = state.messages.filter((m) => m.channel === c.id && !m.threadTs).length;
    if (n) b.appendChild(el('span', 'count', String(n)));
    b.addEventListener('click', () => { current = c.id; render(true); });
    nav.appendChild(b);
  }
}

function renderAws() {
  const box = $('aws');
  box.replaceChildren();
  if (!state.aws) {
    $('aws-title').hidden = true;
    return;
  }
  if (!state.aws.length) box.appendChild(el('p', 'empty', 'No security groups yet.'));
  for (const g of state.aws) {
    const card = el('div', 'group');
    card.dataset.groupId = g.groupId;
    card.appendChild(el('div', null, g.name + ' · ' + g.groupId + ' · ' + g.account));
    const table = el('table');
    for (const r of g.rules.filter((x) => !x.egress)) {
      const tr = el('tr', r.source === '0.0.0.0/0' || r.source === '::/0' ? 'risky' : null);
      tr.dataset.ruleId = r.ruleId;
      const ports = r.protocol === '-1' ? 'all' : r.fromPort === r.toPort ? String(r.fromPort) : r.fromPort + '-' + r.toPort;
      [r.protocol === '-1' ? 'all' : r.protocol, ports, r.source, r.description || ''].forEach((v) => tr.appendChild(el('td', null, v)));
      table.appendChild(tr);
    }
    if (!table.children.length) table.appendChild(el('tr')).appendChild(el('td', 'empty', 'no inbound rules'));
    card.appendChild(table);
    box.appendChild(card);
  }
}

function render(force) {
  if (!state) return;
  const user = $('user').value;
  if (!force && state.version === renderedVersion && user === renderedUser) return;
  renderedVersion = state.version;
  renderedUser = user;
  if (!current) current = state.channels[0].id;
  renderChannels();
  const channel = state.channels.find((c) => c.id === current);
  $('channel-title').textContent = (channel && channel.dm ? '@ ' : '# ') + (channel ? channel.name : current);
  const refusals = $('refusals');
  refusals.replaceChildren();
  for (const r of state.refusals.filter((x) => x.channel === current || !x.channel)) {
    const box = el('div', 'refusal');
    box.appendChild(el('b', null, 'Slack refused ' + r.method + ': ' + r.error));
    const list = el('ul');
    r.problems.forEach((p) => list.appendChild(el('li', null, p)));
    box.appendChild(list);
    refusals.appendChild(box);
  }
  const list = $('messages');
  const top = state.messages.filter((m) => m.channel === current && (!m.threadTs || m.threadTs === m.ts)
    && (!m.ephemeralUser || m.ephemeralUser === user));
  list.replaceChildren();
  if (!top.length) list.appendChild(el('p', 'empty', 'No messages in this channel yet.'));
  top.forEach((m) => list.appendChild(message(m, false)));
  renderAws();
  document.body.dataset.version = String(state.version);
}

async function poll() {
  try {
    const response = await fetch('/page/state', { cache: 'no-store' });
    state = await response.json();
    const select = $('user');
    if (!select.options.length) {
      for (const u of state.users) {
        const o = el('option', null, u.label);
        o.value = u.id;
        select.appendChild(o);
      }
      select.addEventListener('change', () => render(true));
    }
    render(false);
  } catch (err) {
    // The host stopped: keep what is shown.
  }
}

poll();
setInterval(poll, 700);
