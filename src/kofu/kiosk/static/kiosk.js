// The kiosk page: draws the ScreenView the kiosk app answers; holds only what is being typed.
"use strict";

const T = {
  ja: {
    title: "証明書交付サービス", lang_switch: "English", demo_title: "デモ用の装置（実機では本体の装置）",
    tray_title: "カード置き場", cash_title: "硬貨・紙幣の投入口", output_title: "証明書の取出口",
    take_card_btn: "カードを取る", take_papers_btn: "証明書を取る", place: "置く",
    hours: "ご利用時間：毎日 午前6時30分〜午後11時（12月29日〜1月3日を除く）。戸籍証明書・戸籍の附票の写しは平日 午前8時30分〜午後5時15分。",
    reg_hint: "戸籍証明書の利用登録申請（本籍地が住所地と異なる方）も「証明書交付」からお進みください。",
    start: "証明書交付", card_h: "マイナンバーカードをカード置き場に置いてください",
    card_read: "カードを読み取る", cancel: "やめる", back: "もどる", next: "次へ", ok: "確定", clear: "訂正",
    pin_h: "利用者証明用電子証明書の暗証番号（数字4桁）を入力してください",
    tries: (n) => `残り入力回数：${n}回（3回続けて間違えるとロックされます）`,
    bio_h: "スマートフォンの生体認証、または暗証番号で本人確認をしてください", bio_btn: "スマートフォンの生体認証で進む",
    phone_pin: "暗証番号を使う場合は、スマホ用利用者証明用電子証明書の暗証番号（数字4桁）を入力してください",
    muni_h: "証明書を取得する市区町村を選んでください",
    role_jushochi: "住所地", role_honsekichi: "本籍地",
    kind_h: "取得する証明書を選んでください", yen: (n) => `${n.toLocaleString("ja-JP")}円`,
    per_copy: "1通", reg_h: "戸籍証明書の利用登録申請", reg_btn: "利用登録申請をする",
    details_h: "内容を選んでください", whose: "どなたの証明書ですか", options: "記載事項",
    option_none: "省略（記載しない）", fy: "年度", copies: "通数",
    fee_h: "手数料の確認", fee_line: (o) => `${o.copies}通 × ${o.unit_fee}円`, fee_ok: "この内容で支払う",
    cash_h: "お金を投入してください", fee: "手数料", inserted: "投入金額",
    pay: "支払って印刷する", printing: "印刷しています…",
    reg_pw_h: "署名用電子証明書のパスワード（英大文字・数字6〜16桁）を入力してください",
    registered_h: "利用登録申請を受け付けました", finish: "終了する",
    take_card: "カードをお取りください", take_papers: "証明書をお取りください",
    say_card: "カードをお取りください", say_papers: "証明書をお取りください",
    take_phone: "スマートフォンをお取りください", say_phone: "スマートフォンをお取りください",
    remaining: (s) => `残り時間 ${s}秒`, placed: "置いています",
    member_own: "（ご本人）", help: "", papers_out: "証明書",
    paid_out: (n) => `おつり・返金 ${n.toLocaleString("ja-JP")}円 をお取りください`,
    opt: { setai_nushi: "世帯主・続柄", honseki: "本籍・筆頭者", whole: "全部事項証明（戸籍の全員）",
      individual: "個人事項証明（選んだ方）", nationality: "国籍・地域", residence: "在留資格・在留期間" },
    insert_yen: (d) => `${d.toLocaleString("ja-JP")}円を入れる`, change: (n) => `おつり ${n}円`,
  },
  en: {
    title: "Certificate issuance", lang_switch: "日本語", demo_title: "Demo devices (hardware on a real kiosk)",
    tray_title: "Card tray", cash_title: "Coin and bill slot", output_title: "Certificate output tray",
    take_card_btn: "Take the card", take_papers_btn: "Take the certificates", place: "Place",
    hours: "Open every day 06:30–23:00 (closed 29 Dec–3 Jan). Family-register certificates and 附票 copies: weekdays 08:30–17:15.",
    reg_hint: "To file the usage registration for family-register certificates, also start with this button.",
    start: "Get a certificate", card_h: "Please place your My Number card on the card tray",
    card_read: "Read the card", cancel: "Cancel", back: "Back", next: "Next", ok: "OK", clear: "Clear",
    pin_h: "Enter the 4-digit PIN of your user-authentication certificate",
    tries: (n) => `Tries left: ${n} (three wrong PINs in a row lock it)`,
    bio_h: "Confirm it is you with your smartphone's biometrics or with its PIN",
    bio_btn: "Use the phone's biometrics",
    phone_pin: "Or enter the 4-digit PIN of your smartphone's user-authentication certificate",
    muni_h: "Choose the municipality", role_jushochi: "Residence", role_honsekichi: "Family register",
    kind_h: "Choose a certificate", yen: (n) => `¥${n.toLocaleString("en-US")}`, per_copy: "per copy",
    reg_h: "Usage registration for family-register certificates", reg_btn: "File the usage registration",
    details_h: "Choose the details", whose: "Whose certificate", options: "Items to include",
    option_none: "Leave out", fy: "Fiscal year", copies: "Copies",
    fee_h: "The fee", fee_line: (o) => `${o.copies} × ¥${o.unit_fee}`, fee_ok: "Pay this fee",
    cash_h: "Please insert cash", fee: "Fee", inserted: "Inserted", pay: "Pay and print",
    printing: "Printing…",
    reg_pw_h: "Enter the signing password (6–16 capital letters and digits)",
    registered_h: "Usage registration received", finish: "Finish",
    take_card: "Please take your card", take_papers: "Please take your certificates",
    say_card: "カードをお取りください", say_papers: "証明書をお取りください",
    take_phone: "Please take your smartphone", say_phone: "スマートフォンをお取りください",
    remaining: (s) => `${s} s left`, placed: "placed", member_own: " (you)", help: "", papers_out: "certificates",
    paid_out: (n) => `Please take your change / refund: ¥${n.toLocaleString("en-US")}`,
    opt: { setai_nushi: "Head of household and relationship", honseki: "Registered domicile and head",
      whole: "Whole register", individual: "Chosen persons only", nationality: "Nationality or region",
      residence: "Status and period of residence" },
    insert_yen: (d) => `Insert ¥${d.toLocaleString("en-US")}`, change: (n) => `Change ¥${n}`,
  },
};

let view = null;       // the last ScreenView
let drawn = "";        // what the main area was drawn from
let typed = "";        // PIN or password being typed (never stored, sent once)
let form = null;       // details being chosen
let busy = false;
window.kofuAlarms = 0; // how many times the take-alarm sounded (tests read it)

const $ = (sel) => document.querySelector(sel);
const t = () => T[view ? view.lang : "ja"];
const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.addEventListener("click", v);
    else if (k === "text") node.textContent = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids) if (kid) node.append(kid);
  return node;
};

// Requests go one at a time, in order. A screen button tapped again while its request is pending is
// ignored (no double submit); device events (card, coins, papers) are never dropped, only queued.
let chain = Promise.resolve();
let inflight = 0;
function call(path, body, device = false) {
  const screenAction = !device && path !== "/api/state";
  if (screenAction) {
    if (busy) return chain;
    busy = true;
  }
  inflight += 1;
  chain = chain.then(() => send(path, body)).finally(() => {
    inflight -= 1;
    if (screenAction) busy = false;
  });
  return chain;
}

// The token of this start of the kiosk, put into the page by the kiosk; every API call carries it.
const TOKEN = document.querySelector('meta[name="kofu-page-token"]').content;
let reloading = false;

async function send(path, body) {
  const isState = path === "/api/state";
  const headers = { "X-Kofu-Page-Token": TOKEN };
  try {
    const res = await fetch(path, isState ? { headers } : {
      method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
    });
    const data = await res.json();
    if (res.ok) show(data);
    else {
      showError(data);
      // the kiosk restarted (a new token): load the page again, once, after the person read the message
      if (data.reason === "kiosk_page_only" && !reloading) {
        reloading = true;
        setTimeout(() => location.reload(), 3000);
      }
    }
  } catch (e) {
    showError({ message_ja: "端末の内部で通信できませんでした。", message_en: "The kiosk could not reach its own service." });
  }
}

function showError(err) {
  const box = $("#message");
  box.hidden = false;
  box.className = "";
  box.textContent = view && view.lang === "en" ? err.message_en : err.message_ja;
}

function show(v) {
  const before = view ? view.screen : null;
  view = v;
  if (v.screen !== before) { typed = ""; form = null; }
  document.documentElement.lang = v.lang;
  $("#lang").textContent = t().lang_switch;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t()[node.dataset.t];
  drawMessage(v);
  drawTimer(v);
  drawDemo(v);
  const key = JSON.stringify([v.screen, v.lang, v.menu, v.municipalities, v.order, v.pin, v.choice, v.notices,
    v.card_present, v.papers, v.credential, v.paid_out]);
  if (key !== drawn) { drawn = key; drawScreen(v); }
  alarm(v);
}

function drawMessage(v) {
  const box = $("#message");
  const m = v.message;
  box.hidden = !m;
  if (!m) return;
  const info = ["issued", "registered"].includes(m.code);
  box.className = info ? "info" : "";
  box.dataset.code = m.code;
  box.replaceChildren(el("div", { text: v.lang === "en" ? m.en : m.ja }));
  if (m.tries_left !== null && m.tries_left !== undefined) box.append(el("div", { text: t().tries(m.tries_left) }));
  const help = v.lang === "en" ? m.help_en : m.help_ja;
  if (help) box.append(el("div", { class: "help", text: help }));
}

function drawTimer(v) {
  $("#timer").textContent = v.remaining_s === null ? "" : t().remaining(Math.ceil(v.remaining_s));
}

function drawDemo(v) {
  $("#demo").hidden = false;
  $("#tray").parentElement.hidden = !v.demo_tray;
  const tray = $("#tray");
  tray.replaceChildren(...v.tray.map((c) => el("button", {
    class: "device" + (v.tray_placed === c.index ? " placed" : ""), "data-testid": `place-${c.index}`,
    title: c.shows || "", disabled: v.screen !== "card", onclick: () => call("/api/tray/place", { index: c.index }, true),
  }, `${c.label}${c.pin ? " (PIN " + c.pin + ")" : ""}${v.tray_placed === c.index ? " — " + t().placed : ""}`)));
  $("#take-card").disabled = !v.card_present;
  $("#take-card").hidden = !v.demo_tray;
  const cash = $("#cash");
  cash.className = "cash";
  cash.replaceChildren(...v.denominations.map((d) => el("button", {
    class: "device", "data-testid": `insert-${d}`, disabled: v.screen !== "cash",
    onclick: () => call("/api/cash/insert", { yen: d }, true),
  }, t().insert_yen(d))));
  $("#output").textContent = v.papers ? `${t().papers_out} × ${v.papers}` : "";
  $("#take-papers").disabled = !v.papers;
}

function drawScreen(v) {
  const main = $("#screen");
  main.dataset.screen = v.screen;
  main.replaceChildren(...(SCREENS[v.screen] || (() => []))(v).filter(Boolean));
}

const cancelButton = () => el("button", { "data-testid": "cancel", onclick: () => call("/api/finish") }, t().cancel);
const backButton = () => el("button", { "data-testid": "back", onclick: () => call("/api/back") }, t().back);

function keypad(onOk, maxLen) {
  const dots = el("div", { class: "dots", "data-testid": "dots" }, "●".repeat(typed.length) || "　");
  const press = (d) => { if (typed.length < maxLen) { typed += d; dots.textContent = "●".repeat(typed.length); } };
  const pad = el("div", { class: "keypad" });
  for (const d of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) pad.append(el("button", { "data-testid": `key-${d}`, onclick: () => press(d) }, d));
  pad.append(el("button", { "data-testid": "key-clear", onclick: () => { typed = ""; dots.textContent = "　"; } }, t().clear));
  pad.append(el("button", { "data-testid": "key-0", onclick: () => press("0") }, "0"));
  pad.append(el("button", { class: "primary", "data-testid": "key-ok", onclick: onOk }, t().ok));
  return [dots, pad];
}

const SCREENS = {
  idle: (v) => [
    el("p", { class: "lead" }, t().hours),
    ...v.notices.map((n) => el("div", { class: "notice", "data-testid": "notice" }, v.lang === "en" ? n.en : n.ja)),
    el("button", { class: "big primary", "data-testid": "start", onclick: () => call("/api/start") }, t().start),
    el("p", {}, t().reg_hint),
  ],
  card: (v) => [
    el("h1", {}, t().card_h),
    v.demo_tray ? null : el("button", { class: "primary", "data-testid": "read-card", onclick: () => call("/api/card/read") }, t().card_read),
    el("div", { class: "row" }, cancelButton()),
  ],
  pin: (v) => {
    // ELG-5: a phone offers its biometrics and its PIN; the person chooses.
    const phone = Boolean(v.pin && v.pin.biometric);
    const send = () => { const pin = typed; typed = ""; drawn = ""; call("/api/pin", { pin }); };
    return [el("h1", {}, phone ? t().bio_h : t().pin_h),
      phone ? el("button", { class: "big primary", "data-testid": "biometric", onclick: () => call("/api/biometric") }, t().bio_btn) : null,
      phone ? el("p", { "data-testid": "phone-pin" }, t().phone_pin) : null,
      v.pin ? el("p", { "data-testid": "tries" }, t().tries(v.pin.tries_left)) : null,
      ...keypad(send, 4), el("div", { class: "row" }, cancelButton())];
  },
  municipality: (v) => [
    el("h1", {}, t().muni_h),
    el("div", { class: "grid" }, ...v.municipalities.map((m) => el("button", {
      class: "item" + (m.available ? "" : " refused"), "data-testid": `muni-${m.code}`,
      onclick: () => call("/api/municipality", { code: m.code }),
    }, el("span", { class: "fee" }, `${t()["role_" + m.role]}：${v.lang === "en" ? m.name_en : m.name_ja}`),
    m.available ? null : el("span", { class: "why" }, v.lang === "en" ? m.message_en : m.message_ja)))),
    el("div", { class: "row" }, cancelButton()),
  ],
  kind: (v) => {
    const items = v.menu ? v.menu.items : [];
    const nodes = [el("h1", {}, t().kind_h), el("div", { class: "grid" }, ...items.map((i) => el("button", {
      class: "item" + (i.allowed ? "" : " refused"), "data-testid": `kind-${i.kind}`,
      onclick: () => call("/api/kind", { kind: i.kind }),
    }, el("span", {}, v.lang === "en" ? i.title_en : i.title_ja),
    el("span", { class: "fee" }, `${t().per_copy} ${t().yen(i.unit_fee)}`),
    i.allowed ? null : el("span", { class: "why" }, v.lang === "en" ? i.message_en : i.message_ja))))];
    const reg = v.menu && v.menu.registration;
    if (reg && reg.needed) {
      nodes.push(el("h1", {}, t().reg_h), el("button", {
        class: reg.allowed ? "" : "refused", "data-testid": "registration",
        onclick: () => call("/api/registration/open"),
      }, t().reg_btn), reg.allowed ? null : el("p", { class: "why" }, v.lang === "en" ? reg.message_en : reg.message_ja));
    }
    nodes.push(el("div", { class: "row" }, backButton(), cancelButton()));
    return nodes;
  },
  details: (v) => {
    const item = v.menu.items.find((i) => i.kind === v.choice.kind);
    if (!form) form = { persons: [...v.choice.persons], option: v.choice.option, fiscal_year: v.choice.fiscal_year, copies: v.choice.copies || 1 };
    const redraw = () => { drawn = ""; show(view); };
    const nodes = [el("h1", {}, `${v.lang === "en" ? item.title_en : item.title_ja}`)];
    const pickMembers = item.members.length > 1;  // the menu offers others only where they may be chosen
    const whole = form.option === "whole";  // 全部事項: the whole register, nobody to choose
    if (pickMembers && !whole) {
      nodes.push(el("h2", {}, t().whose), el("div", { class: "grid" }, ...item.members.map((m, idx) => el("button", {
        class: form.persons.includes(m.person_id) ? "selected" : "", "data-testid": `member-${idx}`,
        onclick: () => { form.persons = form.persons.includes(m.person_id) ? form.persons.filter((p) => p !== m.person_id) : [...form.persons, m.person_id]; redraw(); },
      }, m.label + (idx === 0 ? t().member_own : "")))));
    }
    if (item.options.length) {
      const choices = item.option_required ? item.options : [null, ...item.options];
      nodes.push(el("h2", {}, t().options), el("div", { class: "row" }, ...choices.map((o) => el("button", {
        class: form.option === o ? "selected" : "", "data-testid": `option-${o || "none"}`,
        onclick: () => { form.option = o; if (o === "whole") form.persons = []; redraw(); },
      }, o ? (t().opt[o] || o) : t().option_none))));
    }
    if (item.year_labels.length) {  // labelled by the municipal server (和暦, 元年)
      nodes.push(el("h2", {}, t().fy), el("div", { class: "row" }, ...item.year_labels.map((y) => el("button", {
        class: form.fiscal_year === y.year ? "selected" : "", "data-testid": `fy-${y.year}`,
        onclick: () => { form.fiscal_year = y.year; redraw(); },
      }, v.lang === "en" ? y.label_en : y.label_ja))));
    }
    if (item.note_ja) {  // LAG-2: a year held back is said, not silently left out
      nodes.push(el("p", { class: "note", "data-testid": "menu-note" }, v.lang === "en" ? item.note_en : item.note_ja));
    }
    nodes.push(el("h2", {}, t().copies), el("div", { class: "row" },
      el("button", { "data-testid": "copies-minus", onclick: () => { form.copies = Math.max(1, form.copies - 1); redraw(); } }, "−"),
      el("span", { class: "amount", "data-testid": "copies" }, String(form.copies)),
      el("button", { "data-testid": "copies-plus", onclick: () => { form.copies = Math.min(item.max_copies || 1, form.copies + 1); redraw(); } }, "＋")));
    const needPersons = pickMembers && !whole;
    nodes.push(el("div", { class: "row" }, backButton(), cancelButton(), el("button", {
      class: "primary", "data-testid": "details-next", disabled: needPersons && form.persons.length === 0,
      onclick: () => call("/api/details", { persons: form.option === "whole" ? [] : form.persons, option: form.option, fiscal_year: form.fiscal_year, copies: form.copies }),
    }, t().next)));
    return nodes;
  },
  fee: (v) => [
    el("h1", {}, t().fee_h),
    el("p", { class: "amount", "data-testid": "fee" }, t().yen(v.order.fee)),
    el("p", {}, t().fee_line(v.order)),
    el("div", { class: "row" }, backButton(), cancelButton(),
      el("button", { class: "primary", "data-testid": "fee-ok", onclick: () => call("/api/fee/accept") }, t().fee_ok)),
  ],
  cash: (v) => [
    el("h1", {}, t().cash_h),
    el("p", { class: "amount" }, `${t().fee}：${t().yen(v.order.fee)}`),
    el("p", { class: "amount", "data-testid": "inserted" }, `${t().inserted}：${t().yen(v.order.inserted)}`),
    el("div", { class: "row" }, backButton(), cancelButton(), el("button", {
      class: "primary", "data-testid": "pay", disabled: v.order.inserted < v.order.fee,
      onclick: () => { $("#screen").append(el("p", { class: "amount" }, t().printing)); call("/api/pay"); },
    }, t().pay)),
  ],
  register: (v) => {
    const dots = el("div", { class: "dots", "data-testid": "dots" }, "●".repeat(typed.length) || "　");
    const pad = el("div", { class: "alpha" });
    for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
      pad.append(el("button", { "data-testid": `alpha-${c}`, onclick: () => { if (typed.length < 16) { typed += c; dots.textContent = "●".repeat(typed.length); } } }, c));
    }
    const send = () => { const password = typed; typed = ""; drawn = ""; call("/api/registration", { password }); };
    return [el("h1", {}, t().reg_pw_h), dots, pad, el("div", { class: "row" }, backButton(),
      el("button", { "data-testid": "key-clear", onclick: () => { typed = ""; dots.textContent = "　"; } }, t().clear),
      el("button", { class: "primary", "data-testid": "password-ok", onclick: send }, t().ok))];
  },
  registered: (v) => [
    el("h1", {}, t().registered_h),
    el("button", { class: "big primary", "data-testid": "finish", onclick: () => call("/api/finish") }, t().finish),
  ],
  take: (v) => [
    v.card_present ? el("p", { class: "alarm", "data-testid": "alarm-card" }, v.credential === "phone" ? t().take_phone : t().take_card) : null,
    v.papers ? el("p", { class: "alarm", "data-testid": "alarm-papers" }, t().take_papers) : null,
    v.paid_out ? el("p", { class: "amount", "data-testid": "paid-out" }, t().paid_out(v.paid_out)) : null,
  ],
};

// SEC-3: a beep and a voice while the card or the certificates are left.
let audio = null;
let lastAlarm = 0;
function alarm(v) {
  if (v.screen !== "take" || (!v.card_present && !v.papers)) return;
  const now = Date.now();
  if (now - lastAlarm < 3500) return;
  lastAlarm = now;
  window.kofuAlarms += 1;
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.2;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.3);
  } catch (e) { /* no audio device */ }
  try {
    const sayCard = v.credential === "phone" ? t().say_phone : t().say_card;
    const words = [v.card_present ? sayCard : null, v.papers ? t().say_papers : null].filter(Boolean).join("。");
    const u = new SpeechSynthesisUtterance(words);
    u.lang = "ja-JP";
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(u);
  } catch (e) { /* no voice */ }
}

$("#lang").addEventListener("click", () => call("/api/lang", { lang: view && view.lang === "en" ? "ja" : "en" }));
$("#take-card").addEventListener("click", () => call("/api/tray/take", {}, true));
$("#take-papers").addEventListener("click", () => call("/api/papers/take", {}, true));
call("/api/state");
setInterval(() => { if (inflight === 0) call("/api/state"); }, 1500);
