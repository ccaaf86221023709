//! The console's pages as HTML. Every text from the database or the request goes through
//! [`escape`] on its way in; nothing here reads the database or the clock.
//!
//! No script and no inline style (the Content-Security-Policy allows neither): the chart is
//! inline SVG drawn by its attributes and styled by console.css.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{NaiveDate, TimeZone, Utc};

use super::view::{
    AccountForm, DayCount, EnterprisePage, KioskLine, KioskRow, Overview, ProcessingPage, RegisterForm, SortBy,
    TraceForm, Traced,
};
use super::words::{Lang, Problem, Words};
use crate::accounts::{self, Role, Session};
use crate::audit;

/// Text made safe for HTML, in element content and in quoted attributes alike.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A day as Vietnamese write it: 03/03/2025.
pub fn day(day: NaiveDate) -> String {
    day.format("%d/%m/%Y").to_string()
}

/// An instant at the gate's time (Asia/Ho_Chi_Minh), as Vietnamese write it: 07:30 03/03/2025.
pub fn time_and_day(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).format("%H:%M %d/%m/%Y").to_string(),
        None => String::new(),
    }
}

/// The same to the second, for the audit log, where several lines share a minute.
pub fn time_and_day_seconds(ms: i64) -> String {
    match Utc.timestamp_millis_opt(ms).single() {
        Some(t) => t.with_timezone(&chrono_tz::Asia::Ho_Chi_Minh).format("%H:%M:%S %d/%m/%Y").to_string(),
        None => String::new(),
    }
}

/// A count with the language's thousands separator: 12.345 in Vietnamese, 12,345 in English.
pub fn count(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let separator = match lang {
        Lang::Vi => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// What every page around its content needs: the language, the page's own path (for the
/// language switch) and the signed-in account, if any.
pub struct Frame<'a> {
    pub lang: Lang,
    pub here: &'a str,
    pub session: Option<&'a Session>,
}

impl Frame<'_> {
    fn words(&self) -> &'static Words {
        self.lang.words()
    }

    /// A link to a console path in this page's language.
    fn link(&self, path: &str) -> String {
        format!("{}{}", escape(path), self.lang.query())
    }

    fn page(&self, title: &str, main: &str) -> String {
        let w = self.words();
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} · QR Gate</title>\n<link rel=\"stylesheet\" href=\"/console/console.css\">\n</head>\n<body>\n\
             <header class=\"bar\">\n<a class=\"brand\" href=\"{home}\">QR Gate <span>{console}</span></a>\n",
            lang = self.lang.code(),
            title = escape(title),
            home = self.link("/console"),
            console = escape(w.console),
        );
        if let Some(session) = self.session {
            let account = &session.account;
            let _ = write!(out, "<nav>\n<a href=\"{}\">{}</a>\n", self.link("/console"), escape(w.overview));
            let mut item = |id: &str, path: &str, label: &str| {
                let _ = writeln!(out, "<a id=\"nav-{id}\" href=\"{}\">{}</a>", self.link(path), escape(label));
            };
            if account.may_trace().is_ok() {
                item("trace", "/console/trace", w.trace);
            }
            item("kiosks", "/console/kiosks", w.kiosks);
            if account.may_administer().is_ok() {
                item("accounts", "/console/accounts", w.accounts);
            }
            if account.may_read_audit().is_ok() {
                item("audit", "/console/audit", w.audit);
            }
            let _ = write!(
                out,
                "</nav>\n<div class=\"who\"><span class=\"name\" id=\"who\" data-login=\"{login}\">{name}</span> \
                 <span class=\"role\">{role}</span>\n\
                 <form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" id=\"sign-out\">{sign_out}</button></form></div>\n",
                login = escape(&account.login),
                name = escape(&account.display_name),
                role = escape(w.role(account.role)),
                action = self.link("/console/sign-out"),
                csrf = escape(&session.csrf),
                sign_out = escape(w.sign_out),
            );
        }
        let other = self.lang.other();
        let _ = write!(
            out,
            "<a class=\"lang\" id=\"lang\" href=\"{href}\" hreflang=\"{code}\" lang=\"{code}\">{label}</a>\n</header>\n\
             <main>\n{main}</main>\n</body>\n</html>\n",
            href = format_args!("{}{}", escape(self.here), other.query()),
            code = other.code(),
            label = escape(w.other_language),
        );
        out
    }
}

/// The sign-in form. `login` is put back after a refusal so only the password is typed again.
pub fn sign_in(frame: &Frame, csrf: &str, login: &str, refusal: Option<(&str, String)>) -> String {
    let w = frame.words();
    let mut main = format!(
        "<section class=\"sign-in\">\n<h1>{sign_in}</h1>\n\
         <form method=\"post\" action=\"{action}\">\n<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <label for=\"login\">{login_word}</label>\n\
         <input id=\"login\" name=\"login\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" \
         required autofocus value=\"{login}\">\n\
         <label for=\"password\">{password_word}</label>\n\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n",
        sign_in = escape(w.sign_in),
        action = frame.link("/console/sign-in"),
        csrf = escape(csrf),
        login_word = escape(w.login),
        login = escape(login),
        password_word = escape(w.password),
    );
    if let Some((code, message)) = refusal {
        let _ = writeln!(
            main,
            "<p class=\"refusal\" id=\"refusal\" role=\"alert\" data-code=\"{}\">{}</p>",
            escape(code),
            escape(&message)
        );
    }
    let _ = write!(main, "<button type=\"submit\" id=\"submit\">{}</button>\n</form>\n</section>\n", escape(w.sign_in));
    frame.page(w.sign_in, &main)
}

pub fn overview(frame: &Frame, v: &Overview) -> String {
    let w = frame.words();
    let lang = frame.lang;
    let inside: usize = v.enterprises.iter().map(|e| e.inside).sum();
    let events: i64 = v.enterprises.iter().map(|e| e.events_today).sum();
    let kiosks: usize = v.enterprises.iter().map(|e| e.kiosks.len()).sum();
    let mut main = format!(
        "<h1>{overview}</h1>\n<p class=\"today\">{today}: <time id=\"today\" datetime=\"{iso}\">{day}</time></p>\n\
         <section class=\"stats\">\n{}{}{}</section>\n",
        stat("total-inside", &count(inside as i64, lang), w.inside_now),
        stat("total-events", &count(events, lang), w.events_today),
        stat("total-kiosks", &count(kiosks as i64, lang), w.kiosks),
        overview = escape(w.overview),
        today = escape(w.today),
        iso = v.today,
        day = day(v.today),
    );
    if v.enterprises.is_empty() {
        let _ = writeln!(main, "<p class=\"empty\">{}</p>", escape(w.no_enterprises));
        return frame.page(w.overview, &main);
    }
    let _ = write!(
        main,
        "<table class=\"cards\" id=\"enterprises\">\n<thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th>\
         <th class=\"num\">{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        escape(w.enterprise),
        escape(w.tax_code),
        escape(w.inside_now),
        escape(w.events_today),
        escape(w.kiosks),
    );
    for e in &v.enterprises {
        let _ = writeln!(
            main,
            "<tr data-tax-code=\"{tax}\">\
             <td data-label=\"{enterprise_word}\"><a href=\"{href}\">{name}</a></td>\
             <td data-label=\"{tax_word}\">{tax}</td>\
             <td class=\"num\" data-label=\"{inside_word}\" data-inside=\"{inside}\">{inside_text}</td>\
             <td class=\"num\" data-label=\"{events_word}\" data-events-today=\"{events}\">{events_text}</td>\
             <td data-label=\"{kiosks_word}\">{kiosks}</td></tr>",
            tax = escape(&e.tax_code),
            href = frame.link(&format!("/console/enterprise/{}", e.tax_code)),
            name = escape(&e.name),
            inside = e.inside,
            inside_text = count(e.inside as i64, lang),
            events = e.events_today,
            events_text = count(e.events_today, lang),
            kiosks = kiosk_list(w, &e.kiosks),
            enterprise_word = escape(w.enterprise),
            tax_word = escape(w.tax_code),
            inside_word = escape(w.inside_now),
            events_word = escape(w.events_today),
            kiosks_word = escape(w.kiosks),
        );
    }
    main.push_str("</tbody>\n</table>\n");
    frame.page(w.overview, &main)
}

fn stat(id: &str, value: &str, label: &str) -> String {
    format!(
        "<div class=\"stat\"><span class=\"n\" id=\"{id}\">{}</span><span>{}</span></div>\n",
        escape(value),
        escape(label)
    )
}

fn kiosk_list(w: &Words, kiosks: &[KioskLine]) -> String {
    let mut out = String::from("<ul class=\"kiosks\">");
    for k in kiosks {
        let _ = write!(
            out,
            "<li data-kiosk=\"{id}\" data-status=\"{status}\"><span class=\"kiosk-id\">{id}</span>{revoked} {state} \
             <span class=\"muted\">{label}: {when}</span></li>",
            id = escape(&k.kiosk_id),
            status = status_of(k),
            revoked = revoked(w, k),
            state = state(w, k),
            label = escape(w.last_sync),
            when = last_sync(w, k),
        );
    }
    out.push_str("</ul>");
    out
}

fn kiosk_table(w: &Words, kiosks: &[KioskLine]) -> String {
    let headings = [w.kiosk, w.last_sync, w.version, w.clock_offset, w.events_waiting, w.last_error];
    let mut out = String::from("<table class=\"cards\" id=\"kiosks\">\n<thead><tr>");
    for h in headings {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for k in kiosks {
        let none = || escape(w.never).into_owned();
        let cells = [
            format!("<span class=\"kiosk-id\">{}</span>{} {}", escape(&k.kiosk_id), revoked(w, k), state(w, k)),
            last_sync(w, k),
            k.version.as_deref().map_or_else(none, |v| escape(v).into_owned()),
            k.clock_offset_ms.map_or_else(none, |ms| clock_offset(w, ms)),
            k.events_waiting.map_or_else(none, |n| n.to_string()),
            k.last_error.as_deref().map_or_else(String::new, |e| escape(e).into_owned()),
        ];
        let _ = write!(out, "<tr data-kiosk=\"{}\" data-status=\"{}\">", escape(&k.kiosk_id), status_of(k));
        for (h, cell) in headings.iter().zip(cells) {
            let _ = write!(out, "<td data-label=\"{}\">{cell}</td>", escape(h));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The machine word of a kiosk's state, for tests and styles.
fn status_of(k: &KioskLine) -> &'static str {
    if k.silent {
        "silent"
    } else {
        "online"
    }
}

fn state(w: &Words, k: &KioskLine) -> String {
    let (class, word) = if k.silent { ("status-silent", w.silent) } else { ("status-online", w.online) };
    format!("<span class=\"{class}\">{}</span>", escape(word))
}

fn revoked(w: &Words, k: &KioskLine) -> String {
    if k.revoked {
        format!(" <span class=\"revoked\">{}</span>", escape(w.revoked))
    } else {
        String::new()
    }
}

fn last_sync(w: &Words, k: &KioskLine) -> String {
    match k.last_sync_ms {
        Some(ms) => format!("<time>{}</time>", time_and_day(ms)),
        None => escape(w.never).into_owned(),
    }
}

/// The server's clock minus the kiosk's, as a person says it: seconds under two minutes, then
/// minutes, and which way (none under a second: a clock in step).
fn clock_offset(w: &Words, ms: i64) -> String {
    let size = ms.unsigned_abs();
    if size < 1000 {
        return "0 s".into();
    }
    let n = if size < 120_000 { format!("{} s", size / 1000) } else { format!("{} {}", size / 60_000, w.minutes) };
    let phrase = if ms >= 0 { w.behind } else { w.ahead };
    escape(&phrase.replace("{n}", &n)).into_owned()
}

pub fn enterprise(frame: &Frame, v: &EnterprisePage) -> String {
    let w = frame.words();
    let lang = frame.lang;
    let mut main = format!(
        "<p class=\"crumbs\"><a href=\"{home}\">{overview}</a> › {name}</p>\n\
         <h1 id=\"enterprise-name\">{name}</h1>\n<p class=\"muted\">{tax_word}: {tax} · {today}: <time datetime=\"{iso}\">{day}</time></p>\n\
         <section class=\"stats\">\n{workers}{visitors}</section>\n",
        home = frame.link("/console"),
        overview = escape(w.overview),
        name = escape(&v.name),
        tax_word = escape(w.tax_code),
        tax = escape(&v.tax_code),
        today = escape(w.today),
        iso = v.today,
        day = day(v.today),
        workers = stat("inside-workers", &count(v.inside_workers as i64, lang), &format!("{} · {}", w.workers, w.inside_now)),
        visitors = stat("inside-visitors", &count(v.inside_visitors as i64, lang), &format!("{} · {}", w.visitors, w.inside_now)),
    );
    let _ = writeln!(
        main,
        "<p><a id=\"processing-link\" href=\"{}\">{}</a></p>",
        frame.link(&format!("/console/enterprise/{}/processing", v.tax_code)),
        escape(w.processing)
    );
    let _ = write!(
        main,
        "<section class=\"chart-box\">\n<h2>{}</h2>\n<div class=\"chart-scroll\">{}</div>\n</section>\n",
        escape(w.entries_per_day),
        entries_chart(w, &v.days),
    );
    let _ = writeln!(main, "<section>\n<h2>{}</h2>", escape(w.gates));
    if v.gates.is_empty() {
        let _ = writeln!(main, "<p class=\"empty\">{}</p>", escape(w.no_gates));
    } else {
        let _ = write!(
            main,
            "<table class=\"cards\" id=\"gates\">\n<thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            escape(w.gate),
            escape(w.kiosk),
            escape(w.inside_now),
            escape(w.last_event),
        );
        for g in &v.gates {
            let _ = writeln!(
                main,
                "<tr><td data-label=\"{gate_word}\">{gate}</td><td data-label=\"{kiosk_word}\">{kiosk}</td>\
                 <td class=\"num\" data-label=\"{inside_word}\" data-inside=\"{inside}\">{inside_text}</td>\
                 <td data-label=\"{last_word}\"><time>{last}</time></td></tr>",
                gate = escape(&g.gate),
                kiosk = escape(&g.kiosk_id),
                inside = g.inside,
                inside_text = count(g.inside as i64, lang),
                last = time_and_day(g.last_event_ms),
                gate_word = escape(w.gate),
                kiosk_word = escape(w.kiosk),
                inside_word = escape(w.inside_now),
                last_word = escape(w.last_event),
            );
        }
        main.push_str("</tbody>\n</table>\n");
    }
    let _ =
        write!(main, "</section>\n<section>\n<h2>{}</h2>\n{}</section>\n", escape(w.kiosks), kiosk_table(w, &v.kiosks));
    frame.page(&v.name, &main)
}

/// Entries per day as bars, with the counts written on them: a chart that reads the same on
/// paper as on the screen (no colour carries meaning, no hover needed).
pub fn entries_chart(w: &Words, days: &[DayCount]) -> String {
    const WIDTH: f64 = 760.0;
    const HEIGHT: f64 = 260.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 34.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max = days.iter().map(|d| d.entries).max().unwrap_or(0).max(0);
    let step = tick_step(max);
    let top = step * ((max + step - 1) / step).max(1);
    let y = |value: i64| TOP + plot_h - plot_h * value as f64 / top as f64;
    let (from, to) = (days.first().map(|d| day(d.day)), days.last().map(|d| day(d.day)));
    let summary = w
        .chart_summary
        .replace("{from}", from.as_deref().unwrap_or(""))
        .replace("{to}", to.as_deref().unwrap_or(""))
        .replace("{max}", &count(max, w.lang));
    let mut out = format!(
        "<svg class=\"chart\" id=\"entries-chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" \
         aria-labelledby=\"chart-title chart-desc\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <title id=\"chart-title\">{}</title>\n<desc id=\"chart-desc\">{}</desc>\n",
        escape(w.entries_per_day),
        escape(&summary),
    );
    let mut tick = 0;
    while tick <= top {
        let _ = writeln!(
            out,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{lx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
            x2 = WIDTH - RIGHT,
            y = y(tick),
            lx = LEFT - 6.0,
            ty = y(tick) + 4.0,
            label = count(tick, w.lang),
        );
        tick += step;
    }
    let slot = plot_w / days.len().max(1) as f64;
    let bar = slot * 0.72;
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let centre = x + bar / 2.0;
        let (bar_top, text) = (y(d.entries), short_count(d.entries, w.lang));
        let today = if i + 1 == days.len() { " today" } else { "" };
        let _ = write!(
            out,
            "<g class=\"day{today}\" data-day=\"{iso}\" data-entries=\"{n}\"><title>{label}: {full} {entries}</title>\
             <rect class=\"bar\" x=\"{x:.1}\" y=\"{bar_top:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\"/>",
            iso = d.day,
            n = d.entries,
            label = day(d.day),
            full = count(d.entries, w.lang),
            entries = escape(w.entries),
            h = TOP + plot_h - bar_top,
        );
        if d.entries > 0 {
            let _ = write!(
                out,
                "<text class=\"value\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{text}</text>",
                bar_top - 4.0
            );
        }
        // Every fifth day counted back from today is named under its bar.
        if (days.len() - 1 - i) % 5 == 0 {
            let _ = write!(
                out,
                "<text class=\"axis\" x=\"{centre:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                TOP + plot_h + 16.0,
                d.day.format("%d/%m")
            );
        }
        out.push_str("</g>\n");
    }
    let _ = writeln!(
        out,
        "<line class=\"axis-line\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y0}\" y2=\"{y0}\"/>\n</svg>",
        x2 = WIDTH - RIGHT,
        y0 = TOP + plot_h
    );
    out
}

/// A tick step of 1, 2 or 5 times a power of ten that cuts `max` into at most five parts.
fn tick_step(max: i64) -> i64 {
    let mut power = 1i64;
    loop {
        for m in [1, 2, 5] {
            let step = m * power;
            if max <= step.saturating_mul(5) {
                return step;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// A count short enough to sit on a bar: 987, 1,2k (1.2k in English), 35k.
fn short_count(n: i64, lang: Lang) -> String {
    if n < 1000 {
        return n.to_string();
    }
    let text = if n < 10_000 { format!("{:.1}k", n as f64 / 1000.0) } else { format!("{}k", n / 1000) };
    match lang {
        Lang::Vi => text.replace('.', ","),
        Lang::En => text,
    }
}

pub fn audit(frame: &Frame, lines: &[audit::Line]) -> String {
    let w = frame.words();
    let mut main = format!("<h1>{}</h1>\n", escape(w.audit));
    if lines.is_empty() {
        let _ = writeln!(main, "<p class=\"empty\">{}</p>", escape(w.no_lines));
        return frame.page(w.audit, &main);
    }
    let _ = write!(
        main,
        "<table class=\"cards\" id=\"audit\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        escape(w.at),
        escape(w.account),
        escape(w.action),
        escape(w.detail)
    );
    for line in lines {
        let account = match &line.account {
            Some(login) => escape(login).into_owned(),
            None => format!("<span class=\"muted\">{}</span>", escape(w.by_command)),
        };
        let _ = writeln!(
            main,
            "<tr data-action=\"{action}\" data-account=\"{login}\"><td data-label=\"{at_word}\"><time>{at}</time></td>\
             <td data-label=\"{account_word}\">{account}</td><td data-label=\"{action_word}\">{action_text}</td>\
             <td data-label=\"{detail_word}\">{detail}</td></tr>",
            action = line.action.as_str(),
            login = escape(line.account.as_deref().unwrap_or("")),
            at = time_and_day_seconds(line.at_ms),
            action_text = escape(w.action(line.action)),
            detail = escape(&line.detail),
            at_word = escape(w.at),
            account_word = escape(w.account),
            action_word = escape(w.action),
            detail_word = escape(w.detail),
        );
    }
    main.push_str("</tbody>\n</table>\n");
    frame.page(w.audit, &main)
}

/// The hidden field every form of a signed-in page carries.
fn csrf_field(frame: &Frame) -> String {
    let token = frame.session.map_or("", |s| s.csrf.as_str());
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(token))
}

/// A button that posts one value to `action` with the session's CSRF token: revoking a kiosk,
/// disabling an account. Its id is `{id}-{value}`, for the tests and for a person's browser.
fn danger_button(frame: &Frame, action: &str, (name, value): (&str, &str), id: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"{name}\" value=\"{value}\">\
         <button type=\"submit\" class=\"danger\" id=\"{id}-{value}\">{}</button></form>",
        frame.link(action),
        csrf_field(frame),
        escape(label),
        value = escape(value),
    )
}

/// What was wrong in a form, said beside it.
fn problem_line(w: &Words, problem: Option<Problem>) -> String {
    match problem {
        Some(p) => format!(
            "<p class=\"refusal\" id=\"problem\" role=\"alert\" data-code=\"{}\">{}</p>\n",
            p.code(),
            escape(w.problem(p))
        ),
        None => String::new(),
    }
}

/// What a form just did.
fn notice_line(notice: Option<&str>) -> String {
    match notice {
        Some(text) => format!("<p class=\"notice\" id=\"notice\" role=\"status\">{}</p>\n", escape(text)),
        None => String::new(),
    }
}

/// A labelled text input holding `value`.
fn text_input(id: &str, label: &str, value: &str, extra: &str) -> String {
    format!(
        "<label for=\"{id}\">{}</label>\n<input id=\"{id}\" name=\"{id}\" value=\"{}\" {extra}>\n",
        escape(label),
        escape(value)
    )
}

/// `<option>`s of enterprises, `chosen` selected.
fn enterprise_options(enterprises: &[(String, String)], chosen: &str) -> String {
    let mut out = String::new();
    for (tax, name) in enterprises {
        let selected = if tax == chosen { " selected" } else { "" };
        let _ = writeln!(out, "<option value=\"{0}\"{selected}>{1} ({0})</option>", escape(tax), escape(name));
    }
    out
}

/// An RFC 3339 instant of the province's answers at the gate's time: 12:20 03/12/2026.
fn instant_text(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| time_and_day(t.timestamp_millis()))
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// The trace form, and under it the answer of the trace just made.
pub fn trace(
    frame: &Frame,
    enterprises: &[(String, String)],
    form: &TraceForm,
    problem: Option<Problem>,
    traced: Option<&Traced>,
) -> String {
    let w = frame.words();
    let checked =
        |kind: &str| if form.kind == kind || (form.kind.is_empty() && kind == "worker") { " checked" } else { "" };
    let mut main = format!(
        "<h1>{title}</h1>\n<p class=\"muted\">{intro}</p>\n\
         <form class=\"ask\" id=\"trace-form\" method=\"post\" action=\"{action}\">\n{csrf}\n\
         <label for=\"enterprise\">{enterprise_word}</label>\n\
         <select id=\"enterprise\" name=\"enterprise\" required>\n<option value=\"\">{choose}</option>\n{options}</select>\n\
         <fieldset>\n<legend>{person_word}</legend>\n\
         <label class=\"choice\"><input type=\"radio\" id=\"kind-worker\" name=\"kind\" value=\"worker\"{worker}> {by_code}</label>\n\
         <label class=\"choice\"><input type=\"radio\" id=\"kind-cccd\" name=\"kind\" value=\"cccd\"{cccd}> {by_cccd}</label>\n\
         </fieldset>\n{person}<div class=\"days\"><div>{from}</div><div>{to}</div></div>\n{problem}\
         <button type=\"submit\" id=\"trace-submit\">{button}</button>\n</form>\n",
        title = escape(w.trace),
        intro = escape(w.trace_intro),
        action = frame.link("/console/trace"),
        csrf = csrf_field(frame),
        enterprise_word = escape(w.enterprise),
        choose = escape(w.choose),
        options = enterprise_options(enterprises, &form.enterprise),
        person_word = escape(w.person),
        worker = checked("worker"),
        cccd = checked("cccd"),
        by_code = escape(w.by_employee_code),
        by_cccd = escape(w.by_cccd),
        person = text_input(
            "person",
            w.code_or_number,
            &form.person,
            "required autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\""
        ),
        from = text_input(
            "from",
            w.from_day,
            &form.from,
            &format!("required inputmode=\"numeric\" placeholder=\"{}\"", escape(w.day_hint))
        ),
        to = text_input(
            "to",
            w.to_day,
            &form.to,
            &format!("required inputmode=\"numeric\" placeholder=\"{}\"", escape(w.day_hint))
        ),
        problem = problem_line(w, problem),
        button = escape(w.trace_button),
    );
    if let Some(t) = traced {
        main.push_str(&traced_section(frame, form, t));
    }
    frame.page(w.trace, &main)
}

fn traced_section(frame: &Frame, form: &TraceForm, t: &Traced) -> String {
    let w = frame.words();
    let kind = if form.kind == "cccd" { w.by_cccd } else { w.by_employee_code };
    let mut out = format!(
        "<section id=\"result\" data-count=\"{n}\">\n<h2>{result}: {found}</h2>\n\
         <p class=\"muted\">{name} ({tax}) · {kind} · {first} – {last}</p>\n\
         <form method=\"post\" action=\"{action}\" id=\"result-form\">\n{csrf}\n",
        n = t.contacts.len(),
        result = escape(w.result),
        found = escape(&w.contacts_found.replace("{n}", &count(t.contacts.len() as i64, frame.lang))),
        name = escape(&t.enterprise_name),
        tax = escape(&t.tax_code),
        kind = escape(kind),
        first = day(t.first_day),
        last = day(t.last_day),
        action = frame.link("/console/trace"),
        csrf = csrf_field(frame),
    );
    // The question again, so sorting and downloading ask it anew without it ever being in a URL.
    for (name, value) in [
        ("enterprise", &form.enterprise),
        ("kind", &form.kind),
        ("person", &form.person),
        ("from", &form.from),
        ("to", &form.to),
    ] {
        let _ = writeln!(out, "<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value));
    }
    if t.contacts.is_empty() {
        let _ = writeln!(out, "<p class=\"empty\">{}</p>\n</form>\n</section>", escape(w.no_contacts));
        return out;
    }
    let _ = write!(out, "<div class=\"tools\">\n<span class=\"sort\">{}:", escape(w.sort_by));
    for by in SortBy::ALL {
        let label = match by {
            SortBy::Minutes => w.sort_minutes,
            SortBy::Name => w.sort_name,
            SortBy::First => w.sort_first,
        };
        let pressed = if by == t.sort { "true" } else { "false" };
        let _ = write!(
            out,
            " <button type=\"submit\" name=\"sort\" value=\"{v}\" id=\"sort-{v}\" aria-pressed=\"{pressed}\">{}</button>",
            escape(label),
            v = by.as_str(),
        );
    }
    let export = frame.link("/console/trace/export");
    let _ = write!(
        out,
        "</span>\n<span class=\"downloads\">\
         <button type=\"submit\" formaction=\"{export}\" name=\"format\" value=\"csv\" id=\"export-csv\">{csv}</button> \
         <button type=\"submit\" formaction=\"{export}\" name=\"format\" value=\"xlsx\" id=\"export-xlsx\">{xlsx}</button>\
         </span>\n</div>\n",
        csv = escape(w.download_csv),
        xlsx = escape(w.download_xlsx),
    );
    let headings = [w.who, w.full_name, w.gates, w.minutes_together, w.first_overlap];
    out.push_str("<table class=\"cards\" id=\"contacts\">\n<thead><tr>");
    for (i, h) in headings.iter().enumerate() {
        let class = if i == 3 { " class=\"num\"" } else { "" };
        let _ = write!(out, "<th{class}>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for c in &t.contacts {
        let name = match &c.full_name {
            Some(name) => escape(name).into_owned(),
            None => format!("<span class=\"muted\">{}</span>", escape(w.unknown_name)),
        };
        let gates: Vec<String> = c.gates.iter().map(|g| format!("<span class=\"gate\">{}</span>", escape(g))).collect();
        let _ = writeln!(
            out,
            "<tr data-kind=\"{kind}\" data-person-ref=\"{person}\" data-minutes=\"{minutes}\">\
             <td data-label=\"{h0}\"><span class=\"kind\">{kind_word}</span> <span class=\"ref\">{person}</span></td>\
             <td data-label=\"{h1}\" class=\"name\">{name}</td>\
             <td data-label=\"{h2}\" class=\"gates\">{gates}</td>\
             <td data-label=\"{h3}\" class=\"num\">{minutes_text}</td>\
             <td data-label=\"{h4}\"><time datetime=\"{iso}\">{first}</time></td></tr>",
            kind = escape(&c.person_kind),
            person = escape(&c.person_ref),
            minutes = c.overlap_minutes,
            kind_word = escape(w.person_kind(&c.person_kind)),
            gates = gates.join(", "),
            minutes_text = count(c.overlap_minutes, frame.lang),
            iso = escape(&c.first_overlap),
            first = instant_text(&c.first_overlap),
            h0 = escape(headings[0]),
            h1 = escape(headings[1]),
            h2 = escape(headings[2]),
            h3 = escape(headings[3]),
            h4 = escape(headings[4]),
        );
    }
    out.push_str("</tbody>\n</table>\n</form>\n</section>\n");
    out
}

/// Every kiosk the account may see; for an admin, the forms to register and revoke.
pub fn kiosks(
    frame: &Frame,
    rows: &[KioskRow],
    form: &RegisterForm,
    problem: Option<Problem>,
    notice: Option<&str>,
) -> String {
    let w = frame.words();
    let admin = frame.session.is_some_and(|s| s.account.may_administer().is_ok());
    let mut main = format!("<h1>{}</h1>\n{}", escape(w.kiosk_list), notice_line(notice));
    if rows.is_empty() {
        let _ = writeln!(main, "<p class=\"empty\">{}</p>", escape(w.no_kiosks));
    } else {
        let headings = [w.enterprise, w.kiosk_id, w.registered, w.revoked_at, w.last_sync];
        main.push_str("<table class=\"cards\" id=\"kiosk-list\">\n<thead><tr>");
        for h in headings {
            let _ = write!(main, "<th>{}</th>", escape(h));
        }
        if admin {
            main.push_str("<th></th>");
        }
        main.push_str("</tr></thead>\n<tbody>\n");
        for k in rows {
            let status = if k.revoked_ms.is_some() {
                "revoked"
            } else if k.silent {
                "silent"
            } else {
                "online"
            };
            let revoked = match k.revoked_ms {
                Some(ms) => format!("<span class=\"revoked\">{}</span>", time_and_day(ms)),
                None => String::new(),
            };
            let last = match k.last_sync_ms {
                Some(ms) => format!("<time>{}</time>", time_and_day(ms)),
                None => escape(w.never).into_owned(),
            };
            let _ = write!(
                main,
                "<tr data-kiosk=\"{id}\" data-tax-code=\"{tax}\" data-status=\"{status}\">\
                 <td data-label=\"{h0}\">{name} <span class=\"muted\">{tax}</span></td>\
                 <td data-label=\"{h1}\"><span class=\"kiosk-id\">{id}</span></td>\
                 <td data-label=\"{h2}\"><time>{registered}</time></td>\
                 <td data-label=\"{h3}\">{revoked}</td><td data-label=\"{h4}\">{last}</td>",
                id = escape(&k.kiosk_id),
                tax = escape(&k.tax_code),
                name = escape(&k.enterprise_name),
                registered = time_and_day(k.registered_ms),
                h0 = escape(headings[0]),
                h1 = escape(headings[1]),
                h2 = escape(headings[2]),
                h3 = escape(headings[3]),
                h4 = escape(headings[4]),
            );
            if admin {
                main.push_str("<td>");
                if k.revoked_ms.is_none() {
                    main.push_str(&danger_button(
                        frame,
                        "/console/kiosks/revoke",
                        ("kiosk_id", &k.kiosk_id),
                        "revoke",
                        w.revoke,
                    ));
                }
                main.push_str("</td>");
            }
            main.push_str("</tr>\n");
        }
        main.push_str("</tbody>\n</table>\n");
    }
    if admin {
        let _ = write!(
            main,
            "<section class=\"form-box\">\n<h2>{title}</h2>\n<p class=\"muted\">{intro}</p>\n\
             <form class=\"ask\" id=\"register-form\" method=\"post\" action=\"{action}\">\n{csrf}\n\
             {tax}{name}{kiosk}{key}{problem}<button type=\"submit\" id=\"register-submit\">{button}</button>\n</form>\n</section>\n",
            title = escape(w.register_kiosk),
            intro = escape(w.register_intro),
            action = frame.link("/console/kiosks/register"),
            csrf = csrf_field(frame),
            tax = text_input("tax_code", w.tax_code, &form.tax_code, "required inputmode=\"numeric\""),
            name = text_input("enterprise_name", w.enterprise_name, &form.enterprise_name, "required"),
            kiosk = text_input("kiosk_id", w.kiosk_id, &form.kiosk_id, "required spellcheck=\"false\""),
            key = text_input(
                "public_key",
                w.public_key,
                &form.public_key,
                "required spellcheck=\"false\" autocomplete=\"off\" class=\"mono\""
            ),
            problem = problem_line(w, problem),
            button = escape(w.register_button),
        );
    }
    frame.page(w.kiosk_list, &main)
}

/// The step before a kiosk is revoked: what it means, and the button that does it.
pub fn revoke_confirm(frame: &Frame, kiosk_id: &str, tax_code: &str, name: &str) -> String {
    let w = frame.words();
    let main = format!(
        "<section class=\"confirm\">\n<h1>{title}</h1>\n<p>{name} ({tax})</p>\n<p>{warning}</p>\n\
         <form method=\"post\" action=\"{action}\">{csrf}<input type=\"hidden\" name=\"kiosk_id\" value=\"{id}\">\
         <input type=\"hidden\" name=\"confirm\" value=\"yes\">\
         <button type=\"submit\" class=\"danger\" id=\"confirm-revoke\">{button}</button> \
         <a href=\"{back}\" id=\"cancel\">{cancel}</a></form>\n</section>\n",
        title = escape(&w.revoke_title.replace("{kiosk}", kiosk_id)),
        name = escape(name),
        tax = escape(tax_code),
        warning = escape(w.revoke_warning),
        action = frame.link("/console/kiosks/revoke"),
        csrf = csrf_field(frame),
        id = escape(kiosk_id),
        button = escape(w.revoke_confirm),
        back = frame.link("/console/kiosks"),
        cancel = escape(w.cancel),
    );
    frame.page(w.revoke, &main)
}

/// Every account, the form to add one and the buttons to disable one.
pub fn accounts(
    frame: &Frame,
    rows: &[accounts::Listed],
    enterprises: &[(String, String)],
    form: &AccountForm,
    problem: Option<Problem>,
    notice: Option<&str>,
    now_ms: i64,
) -> String {
    let w = frame.words();
    let me = frame.session.map(|s| s.account.login.as_str());
    let headings = [w.login, w.display_name, w.role, w.enterprise, w.state, w.last_sign_in];
    let mut main = format!(
        "<h1>{}</h1>\n{}<table class=\"cards\" id=\"account-list\">\n<thead><tr>",
        escape(w.accounts),
        notice_line(notice)
    );
    for h in headings {
        let _ = write!(main, "<th>{}</th>", escape(h));
    }
    main.push_str("<th></th></tr></thead>\n<tbody>\n");
    for a in rows {
        let (state, word) = if a.disabled {
            ("disabled", escape(w.disabled).into_owned())
        } else if let Some(until) = a.locked_until_ms.filter(|u| *u > now_ms) {
            ("locked", escape(&w.locked_until.replace("{until}", &time_and_day(until))).into_owned())
        } else {
            ("active", escape(w.active).into_owned())
        };
        let last = match a.last_sign_in_ms {
            Some(ms) => format!("<time>{}</time>", time_and_day_seconds(ms)),
            None => escape(w.never).into_owned(),
        };
        let _ = write!(
            main,
            "<tr data-login=\"{login}\" data-state=\"{state}\"><td data-label=\"{h0}\"><span class=\"mono\">{login}</span></td>\
             <td data-label=\"{h1}\">{name}</td><td data-label=\"{h2}\">{role}</td><td data-label=\"{h3}\">{enterprise}</td>\
             <td data-label=\"{h4}\">{word}</td><td data-label=\"{h5}\">{last}</td><td>",
            login = escape(&a.login),
            name = escape(&a.display_name),
            role = escape(w.role(a.role)),
            enterprise = escape(a.enterprise.as_deref().unwrap_or("")),
            h0 = escape(headings[0]),
            h1 = escape(headings[1]),
            h2 = escape(headings[2]),
            h3 = escape(headings[3]),
            h4 = escape(headings[4]),
            h5 = escape(headings[5]),
        );
        if !a.disabled && me != Some(a.login.as_str()) {
            main.push_str(&danger_button(
                frame,
                "/console/accounts/disable",
                ("login", &a.login),
                "disable",
                w.disable,
            ));
        }
        main.push_str("</td></tr>\n");
    }
    main.push_str("</tbody>\n</table>\n");
    let mut roles = String::new();
    for role in Role::ALL {
        let selected = if form.role == role.as_str() { " selected" } else { "" };
        let _ = writeln!(roles, "<option value=\"{}\"{selected}>{}</option>", role.as_str(), escape(w.role(role)));
    }
    let _ = write!(
        main,
        "<section class=\"form-box\">\n<h2>{title}</h2>\n<p class=\"muted\">{intro}</p>\n\
         <form class=\"ask\" id=\"account-form\" method=\"post\" action=\"{action}\">\n{csrf}\n{login}{name}\
         <label for=\"role\">{role_word}</label>\n<select id=\"role\" name=\"role\" required>\n<option value=\"\">{choose}</option>\n{roles}</select>\n\
         <label for=\"enterprise\">{enterprise_word}</label>\n<select id=\"enterprise\" name=\"enterprise\">\n\
         <option value=\"\">{none}</option>\n{enterprises}</select>\n\
         <label for=\"password\">{password}</label>\n<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required>\n\
         <label for=\"password_again\">{again}</label>\n<input id=\"password_again\" name=\"password_again\" type=\"password\" autocomplete=\"new-password\" required>\n\
         {problem}<button type=\"submit\" id=\"account-submit\">{button}</button>\n</form>\n</section>\n",
        title = escape(w.add_account),
        intro = escape(w.add_account_intro),
        action = frame.link("/console/accounts/add"),
        csrf = csrf_field(frame),
        login = text_input(
            "login",
            w.login,
            &form.login,
            "required autocapitalize=\"none\" spellcheck=\"false\" autocomplete=\"off\""
        ),
        name = text_input("display_name", w.display_name, &form.display_name, "required"),
        role_word = escape(w.role),
        choose = escape(w.choose),
        enterprise_word = escape(w.enterprise),
        none = escape(w.none_province),
        enterprises = enterprise_options(enterprises, &form.enterprise),
        password = escape(w.new_password),
        again = escape(w.password_again),
        problem = problem_line(w, problem),
        button = escape(w.add_button),
    );
    frame.page(w.accounts, &main)
}

/// One enterprise's record of processing: who traced or purged, when, how many people.
pub fn processing(frame: &Frame, v: &ProcessingPage) -> String {
    let w = frame.words();
    let mut main = format!(
        "<p class=\"crumbs\"><a href=\"{home}\">{overview}</a> › <a href=\"{page}\">{name}</a> › {title}</p>\n\
         <h1>{title}</h1>\n<p class=\"muted\">{name} · {tax_word}: {tax}</p>\n<p class=\"muted\">{intro}</p>\n",
        home = frame.link("/console"),
        overview = escape(w.overview),
        page = frame.link(&format!("/console/enterprise/{}", v.tax_code)),
        name = escape(&v.name),
        title = escape(w.processing),
        tax_word = escape(w.tax_code),
        tax = escape(&v.tax_code),
        intro = escape(w.processing_intro),
    );
    if v.lines.is_empty() {
        let _ = writeln!(main, "<p class=\"empty\">{}</p>", escape(w.no_lines));
        return frame.page(w.processing, &main);
    }
    let headings = [w.at, w.actor, w.action, w.people, w.detail];
    main.push_str("<table class=\"cards\" id=\"processing\">\n<thead><tr>");
    for (i, h) in headings.iter().enumerate() {
        let class = if i == 3 { " class=\"num\"" } else { "" };
        let _ = write!(main, "<th{class}>{}</th>", escape(h));
    }
    main.push_str("</tr></thead>\n<tbody>\n");
    for line in &v.lines {
        let actor = match line.actor.as_str() {
            "retention" => format!("<span class=\"muted\">{}</span>", escape(w.by_retention)),
            "query token" => format!("<span class=\"muted\">{}</span>", escape(w.by_query_token)),
            login => escape(login).into_owned(),
        };
        let action = match line.action.as_str() {
            "trace" => w.action(audit::Action::Trace),
            _ => w.purge,
        };
        let at = chrono::DateTime::parse_from_rfc3339(&line.at)
            .map(|t| time_and_day_seconds(t.timestamp_millis()))
            .unwrap_or_else(|_| line.at.clone());
        let _ = writeln!(
            main,
            "<tr data-action=\"{action_code}\" data-actor=\"{actor_code}\" data-people=\"{people}\">\
             <td data-label=\"{h0}\"><time>{at}</time></td><td data-label=\"{h1}\">{actor}</td>\
             <td data-label=\"{h2}\">{action}</td><td data-label=\"{h3}\" class=\"num\">{people_text}</td>\
             <td data-label=\"{h4}\">{detail}</td></tr>",
            action_code = escape(&line.action),
            actor_code = escape(&line.actor),
            people = line.people,
            people_text = count(line.people, frame.lang),
            action = escape(action),
            detail = escape(&w.processing_detail(&line.detail)),
            h0 = escape(headings[0]),
            h1 = escape(headings[1]),
            h2 = escape(headings[2]),
            h3 = escape(headings[3]),
            h4 = escape(headings[4]),
        );
    }
    main.push_str("</tbody>\n</table>\n");
    frame.page(w.processing, &main)
}

/// The page of a refusal: the words for its code, and the code for whoever helps on the phone.
pub fn refused(frame: &Frame, code: &str) -> String {
    let w = frame.words();
    let main = format!(
        "<section class=\"refused\">\n<h1>{refused}</h1>\n<p class=\"refusal\" id=\"refusal\" data-code=\"{code}\">{words}</p>\n\
         <p class=\"muted\">{code_word}: <code>{code}</code></p>\n<p><a href=\"{home}\">{back}</a></p>\n</section>\n",
        refused = escape(w.refused),
        code = escape(code),
        words = escape(w.refusal(code)),
        code_word = escape(w.error_code),
        home = frame.link("/console"),
        back = escape(w.back),
    );
    frame.page(w.refused, &main)
}

#[cfg(test)]
mod tests {
    use super::super::view::EnterpriseLine;
    use super::*;

    #[test]
    fn a_trace_answer_is_text_and_its_question_is_in_no_address() {
        let form = TraceForm {
            enterprise: "0101234567".into(),
            kind: "cccd".into(),
            person: "079090001234".into(),
            from: "03/12/2026".into(),
            to: "03/12/2026".into(),
        };
        let traced = Traced {
            tax_code: "0101234567".into(),
            enterprise_name: "Công ty <Sài Gòn> & Co".into(),
            first_day: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            last_day: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            contacts: vec![crate::province::Contact {
                person_kind: "worker".into(),
                person_ref: "NV0001".into(),
                full_name: Some("<b>Trần</b> Thị Bình".into()),
                gates: vec!["Cổng <1>".into(), "Cổng 2".into()],
                overlap_minutes: 1234,
                first_overlap: "2026-12-03T12:20:00+07:00".into(),
            }],
            sort: SortBy::First,
        };
        let enterprises = [("0101234567".to_string(), "Công ty <Sài Gòn> & Co".to_string())];
        let frame = Frame { lang: Lang::En, here: "/console/trace", session: None };
        let page = trace(&frame, &enterprises, &form, None, Some(&traced));
        assert!(!page.contains("<b>") && page.contains("&lt;b&gt;Trần&lt;/b&gt; Thị Bình"), "{page}");
        assert!(page.contains("Cổng &lt;1&gt;</span>, <span class=\"gate\">Cổng 2"), "{page}");
        assert!(page.contains("<time datetime=\"2026-12-03T12:20:00+07:00\">12:20 03/12/2026</time>"), "{page}");
        assert!(page.contains(">1,234<"), "English thousands: {page}");
        assert!(page.contains("id=\"sort-first\" aria-pressed=\"true\""), "{page}");
        assert!(page.contains("formaction=\"/console/trace/export?lang=en\" name=\"format\" value=\"xlsx\""));
        // The number is in the form's fields only: in no link, no action, no title.
        for attribute in ["href=\"", "action=\"", "<title>"] {
            for piece in page.split(attribute).skip(1) {
                let value = piece.split(['"', '<']).next().unwrap();
                assert!(!value.contains("079090001234"), "{attribute}{value}");
            }
        }
        assert_eq!(page.matches("value=\"079090001234\"").count(), 2, "the form's field and the result's hidden one");
        assert!(!page.contains("<script") && !page.contains("style="));
        let problem = trace(&frame, &enterprises, &form, Some(Problem::NoSuchVisitor), None);
        assert!(problem.contains("data-code=\"no_such_visitor\"") && problem.contains("No visitor with this CCCD"));
        assert!(problem.contains("id=\"kind-cccd\" name=\"kind\" value=\"cccd\" checked"), "{problem}");
    }

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert!(matches!(escape("Công ty May Bình Dương"), Cow::Borrowed(_)));
        assert_eq!(escape(""), "");
    }

    fn frame(here: &str) -> Frame<'_> {
        Frame { lang: Lang::Vi, here, session: None }
    }

    #[test]
    fn names_from_the_database_are_text_not_markup() {
        let v = Overview {
            today: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            enterprises: vec![EnterpriseLine {
                tax_code: "0101234567".into(),
                name: "<img src=x onerror=alert(1)> & \"Co\"".into(),
                inside: 1234,
                events_today: 5,
                kiosks: vec![KioskLine {
                    kiosk_id: "gate-<1>".into(),
                    revoked: true,
                    last_sync_ms: None,
                    silent: true,
                    version: None,
                    clock_offset_ms: None,
                    events_waiting: None,
                    last_error: None,
                }],
            }],
        };
        let page = overview(&frame("/console"), &v);
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;Co&quot;"), "{page}");
        assert!(page.contains("gate-&lt;1&gt;") && !page.contains("gate-<1>"));
        assert!(page.contains("<time id=\"today\" datetime=\"2025-03-03\">03/03/2025</time>"), "{page}");
        assert!(page.contains(">1.234<"), "Vietnamese thousands: {page}");
        assert!(!page.contains("<script") && !page.contains("style="), "no script, no inline style");
    }

    #[test]
    fn a_kiosks_state_and_clock_are_said_in_words() {
        let line = KioskLine {
            kiosk_id: "gate-1".into(),
            revoked: false,
            last_sync_ms: Some(1_741_000_000_000),
            silent: true,
            version: Some("0.2.0".into()),
            clock_offset_ms: Some(3 * 3_600_000 + 20_000),
            events_waiting: Some(12),
            last_error: Some("<b>server</b> refused".into()),
        };
        let w = Lang::Vi.words();
        let table = kiosk_table(w, std::slice::from_ref(&line));
        assert!(table.contains("data-status=\"silent\"") && table.contains("Mất liên lạc"), "{table}");
        assert!(table.contains("chậm 180 phút") && table.contains(">12<"), "{table}");
        assert!(table.contains("&lt;b&gt;server&lt;/b&gt; refused") && !table.contains("<b>"), "{table}");
        assert_eq!(clock_offset(Lang::En.words(), -45_000), "45 s ahead");
        assert_eq!(clock_offset(Lang::En.words(), 400), "0 s");
        let online = KioskLine { silent: false, ..line };
        assert!(kiosk_list(w, &[online]).contains("data-status=\"online\"><span class=\"kiosk-id\">gate-1</span> <span class=\"status-online\">Đang kết nối</span>"));
    }

    #[test]
    fn the_language_switch_keeps_the_page_and_escapes_its_path() {
        let page = refused(&frame("/console/enterprise/\"><b>"), "forbidden");
        assert!(page.contains("href=\"/console/enterprise/&quot;&gt;&lt;b&gt;?lang=en\""), "{page}");
        assert!(page.contains("Tài khoản này không được xem trang này."));
        let en = refused(&Frame { lang: Lang::En, here: "/console/audit", session: None }, "forbidden");
        assert!(en.contains("<html lang=\"en\">") && en.contains("href=\"/console/audit\" hreflang=\"vi\""), "{en}");
        assert!(en.contains("This account may not see this page."));
    }

    #[test]
    fn times_are_written_at_the_gates_time_day_first() {
        // 2025-03-03 00:30 UTC is 07:30 in Hồ Chí Minh City.
        assert_eq!(time_and_day(1_740_961_800_000), "07:30 03/03/2025");
        assert_eq!(day(NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()), "01/12/2025");
        assert_eq!(count(1_234_567, Lang::Vi), "1.234.567");
        assert_eq!(count(1_234_567, Lang::En), "1,234,567");
        assert_eq!(count(999, Lang::En), "999");
        assert_eq!(short_count(1_250, Lang::Vi), "1,2k");
        assert_eq!(short_count(35_400, Lang::En), "35k");
    }

    #[test]
    fn the_chart_has_a_bar_per_day_with_its_count_and_sane_ticks() {
        let first = NaiveDate::from_ymd_opt(2025, 2, 2).unwrap();
        let days: Vec<DayCount> = first
            .iter_days()
            .take(30)
            .enumerate()
            .map(|(i, day)| DayCount { day, entries: (i as i64 * 7) % 40 })
            .collect();
        let svg = entries_chart(Lang::En.words(), &days);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 30);
        assert!(svg.contains("data-day=\"2025-03-03\""), "the last day is today's");
        assert!(svg.contains("<g class=\"day today\" data-day=\"2025-03-03\""), "{svg}");
        let max = days.iter().map(|d| d.entries).max().unwrap();
        assert!(svg.contains(&format!(">{max}</text>")), "counts are written on the bars");
        assert_eq!(tick_step(0), 1);
        assert_eq!(tick_step(5), 1);
        assert_eq!(tick_step(39), 10);
        assert_eq!(tick_step(1_300_000), 500_000);
        // An empty month draws a flat chart, not a division by zero.
        let empty: Vec<DayCount> = days.iter().map(|d| DayCount { entries: 0, ..*d }).collect();
        assert!(!entries_chart(Lang::Vi.words(), &empty).contains("NaN"));
    }
}
