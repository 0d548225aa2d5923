//! Demo tickets from every channel, so the portal and the agents' pages have real work to
//! show: customers writing in the app and on the web in their own language, guests,
//! Messenger and X senders nobody has identified yet, and hotline calls with their logs.
//! Each first message and reply carries a fixed external id, so seeding again adds nothing.

use anyhow::Context;
use domain::console::{CannedResponse, ConsoleRepo};
use domain::repo::{ContactIdentity, DirectoryRepo, IdentityRepo, TicketRepo, WalletRepo};
use domain::ticket::{
    Actor, ActorKind, CallEvent, Category, Channel, LinkKind, NewMessage, NewTicket, Priority,
    Rating, ReportedTransaction, Requester, Ticket, TicketChanges, TicketLink, TicketStatus,
    Visibility,
};
use domain::wallet::{TransactionQuery, TransactionStatus};
use domain::{Customer, CustomerId, Email, Limit, Locale, LoginId, StaffId};
use indicatif::ProgressBar;
use store::Store;

/// What customers write about, in each language: (category, subjects, first messages).
const TOPICS: [(Category, [&str; 3], [&str; 3]); 8] = [
    (
        Category::FailedTransaction,
        [
            "Payment failed but my balance went down",
            "Pembayaran gagal tapi saldo berkurang",
            "付款失败但余额被扣了",
        ],
        [
            "I paid at the cashier, the app said failed, but the money is gone from my balance.",
            "Tadi bayar di kasir, di aplikasi tertulis gagal, tapi saldo saya sudah terpotong.",
            "我在收银台付款，App 显示失败，可是余额已经扣掉了。",
        ],
    ),
    (
        Category::Refund,
        [
            "Refund not received yet",
            "Dana refund belum masuk",
            "退款还没到账",
        ],
        [
            "The merchant approved my refund three days ago and I still don't see it.",
            "Merchant sudah setuju refund tiga hari lalu, tapi dananya belum masuk juga.",
            "商家三天前就同意退款了，我到现在还没收到。",
        ],
    ),
    (
        Category::Coupon,
        [
            "Coupon won't apply",
            "Kupon tidak bisa dipakai",
            "优惠券用不了",
        ],
        [
            "My 20% coupon says it cannot be used at this merchant. Why?",
            "Kupon diskon 20% saya katanya tidak berlaku di merchant ini. Kenapa ya?",
            "我的八折券在这家商户显示不能用，这是为什么？",
        ],
    ),
    (
        Category::AccountSignIn,
        [
            "Account locked after wrong PIN",
            "Akun terkunci setelah salah PIN",
            "输错密码后账户被锁",
        ],
        [
            "I typed the wrong PIN a few times and now I can't sign in.",
            "Saya salah masukkan PIN beberapa kali, sekarang tidak bisa masuk.",
            "我输错了几次密码，现在登录不了。",
        ],
    ),
    (
        Category::CardLinking,
        [
            "Can't link my debit card",
            "Tidak bisa menautkan kartu debit",
            "绑定借记卡失败",
        ],
        [
            "The app keeps saying my card is not supported.",
            "Aplikasi terus bilang kartu saya tidak didukung.",
            "App 一直提示我的卡不支持。",
        ],
    ),
    (
        Category::MerchantComplaint,
        [
            "Order never arrived",
            "Pesanan tidak pernah sampai",
            "订单一直没送到",
        ],
        [
            "I paid for a delivery order and it never came. The merchant doesn't answer.",
            "Saya sudah bayar pesanan antar, tapi tidak pernah datang. Merchant-nya tidak membalas.",
            "我付了外卖的钱，但一直没送到，商家也不回复。",
        ],
    ),
    (
        Category::PrivacySecurity,
        [
            "Someone else signed in to my account?",
            "Ada yang masuk ke akun saya?",
            "有人登录了我的账户？",
        ],
        [
            "I got a notice about a sign-in from a new phone that wasn't me.",
            "Saya dapat pemberitahuan ada login dari HP baru, padahal bukan saya.",
            "我收到通知说有新手机登录，但那不是我。",
        ],
    ),
    (
        Category::Other,
        [
            "How do I change my phone number?",
            "Bagaimana cara ganti nomor HP?",
            "怎么更换手机号？",
        ],
        [
            "I have a new number. How do I update it in the app?",
            "Nomor saya sudah ganti. Cara memperbaruinya di aplikasi bagaimana?",
            "我换了新号码，在 App 里怎么更新？",
        ],
    ),
];

/// What agents answer, in each language.
const ANSWERS: [&str; 3] = [
    "Thank you for writing. We are checking this with the bank and will update you today.",
    "Terima kasih sudah menghubungi kami. Kami sedang mengecek ke pihak bank dan akan mengabari Anda hari ini.",
    "感谢您的来信。我们正在与银行核实，今天内会给您答复。",
];

fn lang(locale: Locale) -> usize {
    match locale {
        Locale::En => 0,
        Locale::Id => 1,
        Locale::ZhCn => 2,
    }
}

fn message(
    kind: ActorKind,
    id: &str,
    name: &str,
    body: &str,
    channel: Channel,
    external_id: String,
) -> NewMessage {
    NewMessage {
        author_kind: kind,
        author_id: id.to_owned(),
        author_name: name.to_owned(),
        visibility: Visibility::Public,
        body: body.to_owned(),
        channel,
        external_id: Some(external_id),
        attachments: Vec::new(),
    }
}

/// Seeds the demo tickets; returns how many tickets exist afterwards from this seed.
pub async fn seed_tickets(store: &Store, customers: u32, now: i64) -> anyhow::Result<u32> {
    let agent = store
        .staff_credential(
            &Email::parse("agent@demo.paydesk.id").map_err(|e| anyhow::anyhow!("{e}"))?,
        )
        .await?
        .context("the demo agent is seeded before tickets")?;
    let agent_id = agent.principal.user.as_str().to_owned();
    let agent_name = agent.principal.display_name.clone();
    let actor = Actor {
        kind: ActorKind::Staff,
        id: agent_id.clone(),
        name: agent_name.clone(),
    };
    let per_customer = customers.clamp(1, 24);
    let bar = ProgressBar::new(u64::from(per_customer) + 12);
    bar.set_message("tickets");
    let mut made = 0u32;
    for n in 0..per_customer {
        let id = CustomerId::from_string(crate::demo::demo_customer_id(n));
        let Ok(c) = store.customer(&id).await else {
            continue;
        };
        let topic = &TOPICS[(n as usize) % TOPICS.len()];
        let ticket = customer_ticket(store, &c, n, topic, now).await?;
        made += 1;
        // Every other ticket has an answer; some are waiting on the customer, some solved.
        if n.is_multiple_of(2) {
            let l = lang(c.locale);
            let reply = message(
                ActorKind::Staff,
                &agent_id,
                &agent_name,
                ANSWERS[l],
                ticket.channel,
                format!("demo-reply-{n}"),
            );
            let status = match n % 6 {
                0 => Some(TicketStatus::Solved),
                2 => Some(TicketStatus::PendingCustomer),
                _ => None,
            };
            let outcome = store
                .add_message(&ticket.id, &reply, status, None, now - 3_600_000_000)
                .await?;
            if !outcome.duplicate {
                store
                    .update_ticket(
                        &ticket.id,
                        &TicketChanges {
                            assignee_id: Some(StaffId::parse(&agent_id)),
                            ..TicketChanges::default()
                        },
                        &actor,
                        now,
                    )
                    .await?;
                if status == Some(TicketStatus::Solved) {
                    let rating = Rating::parse(if n.is_multiple_of(12) { 5 } else { 4 }, "", now)?;
                    store.rate_ticket(&ticket.id, &rating, now).await?;
                }
            }
        }
        bar.inc(1);
    }
    made += social_tickets(store, now).await?;
    bar.inc(6);
    made += phone_tickets(store, now).await?;
    bar.inc(6);
    bar.finish_and_clear();
    Ok(made)
}

async fn customer_ticket(
    store: &Store,
    c: &Customer,
    n: u32,
    topic: &(Category, [&str; 3], [&str; 3]),
    now: i64,
) -> anyhow::Result<Ticket> {
    let (category, subjects, bodies) = topic;
    let l = lang(c.locale);
    let channel = if n.is_multiple_of(3) {
        Channel::Web
    } else {
        Channel::App
    };
    let mut links = Vec::new();
    if category.needs_transaction() {
        // The customer's latest failed (or any) transaction is what the ticket is about.
        let q = TransactionQuery {
            customer_id: Some(c.id.clone()),
            statuses: vec![TransactionStatus::Failed],
            ..TransactionQuery::default()
        };
        let page = store.transactions(&q, None, Limit::parse(Some(1))?).await?;
        if let Some(t) = page.items.first() {
            links.push(TicketLink {
                kind: LinkKind::Transaction,
                record_id: t.id.clone(),
            });
        }
    }
    let new = NewTicket {
        requester: Requester::Customer(c.id.clone()),
        channel,
        category: *category,
        subject: subjects[l].to_owned(),
        priority: if *category == Category::PrivacySecurity {
            Priority::High
        } else {
            Priority::Normal
        },
        locale: c.locale,
        links,
        reported: ReportedTransaction::default(),
        tags: Vec::new(),
        first_message: message(
            ActorKind::Customer,
            c.id.as_str(),
            c.display_name.as_str(),
            bodies[l],
            channel,
            format!("demo-ticket-{n}"),
        ),
    };
    let hours_ago = i64::from(n % 48) + 2;
    Ok(store
        .create_ticket(&new, None, now - hours_ago * 3_600_000_000)
        .await?
        .ticket)
}

/// Messenger and X senders nobody has identified yet.
async fn social_tickets(store: &Store, now: i64) -> anyhow::Result<u32> {
    let senders = [
        (
            Channel::Messenger,
            "6200000000001",
            "Rina (Messenger)",
            "Halo, top up saya dari BCA belum masuk dari tadi pagi.",
        ),
        (
            Channel::Messenger,
            "6200000000002",
            "Andi (Messenger)",
            "Kenapa kupon ongkir saya tidak bisa dipakai?",
        ),
        (
            Channel::Messenger,
            "6200000000003",
            "Mei (Messenger)",
            "你好，我的退款什么时候到账？",
        ),
        (
            Channel::X,
            "1460000000001",
            "@budi_jkt",
            "Min, saldo kepotong dua kali pas bayar parkir. Tolong dicek ya.",
        ),
        (
            Channel::X,
            "1460000000002",
            "@sarahw",
            "Your app logged me out and now it says my account is locked?",
        ),
        (
            Channel::X,
            "1460000000003",
            "@dewi_s",
            "Cara hubungi CS selain lewat DM gimana ya?",
        ),
    ];
    let mut made = 0;
    for (i, (channel, psid, name, text)) in senders.iter().enumerate() {
        let contact = store
            .upsert_contact(
                &ContactIdentity {
                    channel: *channel,
                    external_id: (*psid).to_owned(),
                    display_name: (*name).to_owned(),
                    email: None,
                    phone: None,
                    customer_id: None,
                },
                now,
            )
            .await?;
        let new = NewTicket {
            requester: Requester::Contact(contact.id.clone()),
            channel: *channel,
            category: Category::Other,
            subject: domain::ticket::parse_subject(text)?
                .chars()
                .take(80)
                .collect(),
            priority: Priority::Normal,
            locale: if text.is_ascii() && i == 4 {
                Locale::En
            } else if text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                Locale::ZhCn
            } else {
                Locale::Id
            },
            links: Vec::new(),
            reported: ReportedTransaction::default(),
            tags: Vec::new(),
            first_message: message(
                ActorKind::Contact,
                &contact.id,
                name,
                text,
                *channel,
                format!("demo-social-{i}"),
            ),
        };
        store
            .create_ticket(&new, None, now - (i as i64 + 1) * 1_800_000_000)
            .await?;
        made += 1;
    }
    Ok(made)
}

/// Hotline calls: a known customer who chose "failed transaction" in the menu and talked
/// to an agent, and an unknown number that hung up before anyone answered.
async fn phone_tickets(store: &Store, now: i64) -> anyhow::Result<u32> {
    let siti = store
        .customer_credential(&LoginId::Phone(
            domain::Phone::parse("+6281234567890").map_err(|e| anyhow::anyhow!("{e}"))?,
        ))
        .await?
        .and_then(|c| c.principal.customer_id().cloned());
    let calls = [
        ("demo-call-1", "+6281234567890", siti, Some("2"), true),
        ("demo-call-2", "+6285600001111", None, None, false),
    ];
    let mut made = 0;
    for (call_id, number, customer, digit, answered) in calls {
        let contact = store
            .upsert_contact(
                &ContactIdentity {
                    channel: Channel::Phone,
                    external_id: number.to_owned(),
                    display_name: server::channels::telephony::masked_number(number),
                    email: None,
                    phone: Some(number.to_owned()),
                    customer_id: customer,
                },
                now,
            )
            .await?;
        let category = match digit {
            Some("2") => Category::FailedTransaction,
            _ => Category::Other,
        };
        let new = NewTicket {
            requester: Requester::Contact(contact.id.clone()),
            channel: Channel::Phone,
            category,
            subject: format!(
                "Phone call from {}",
                server::channels::telephony::masked_number(number)
            ),
            priority: Priority::Normal,
            locale: Locale::Id,
            links: Vec::new(),
            reported: ReportedTransaction::default(),
            tags: Vec::new(),
            first_message: NewMessage {
                visibility: Visibility::Internal,
                ..message(
                    ActorKind::System,
                    "",
                    "paydesk",
                    &format!(
                        "Incoming call from {}",
                        server::channels::telephony::masked_number(number)
                    ),
                    Channel::Phone,
                    format!("call:{call_id}"),
                )
            },
        };
        let started = now - 5_400_000_000;
        let ticket = store.create_ticket(&new, None, started).await?.ticket;
        let mut events = vec![CallEvent::Incoming];
        if let Some(d) = digit {
            events.push(CallEvent::MenuChoice(d.to_owned()));
        }
        if answered {
            events.push(CallEvent::Answered { agent_id: None });
        }
        events.push(CallEvent::Ended);
        for (k, event) in events.iter().enumerate() {
            store
                .record_call_event(
                    &format!("{call_id}-{k}"),
                    call_id,
                    number,
                    event,
                    &ticket.id,
                    started + k as i64 * 60_000_000,
                )
                .await?;
        }
        made += 1;
    }
    Ok(made)
}

/// One calendar per demo region (Indonesian offices 08:00–20:00 on weekdays and 09:00–15:00
/// on Saturdays, the China team 09:00–18:00 on weekdays), each with its country's shipped
/// public holidays; the web, app, social channels and the hotline default to Jakarta's.
/// A calendar an admin already has is left as it is.
pub async fn seed_calendars(
    store: &Store,
    regions: &[(&str, &str, &str, &str, &str)],
    now: i64,
) -> anyhow::Result<()> {
    use domain::calendar::{CalendarRepo, CalendarSpec, OpeningInterval, StoredCalendar};
    let existing: Vec<String> = store.calendars().await?.into_iter().map(|c| c.id).collect();
    for (id, name, country, tz, _) in regions {
        if !existing.iter().any(|e| e == id) {
            let weekday_hours = |start: u16, end: u16| {
                (0..5).map(move |weekday| OpeningInterval {
                    weekday,
                    start_minute: start * 60,
                    end_minute: end * 60,
                })
            };
            let intervals: Vec<OpeningInterval> = if *country == "CN" {
                weekday_hours(9, 18).collect()
            } else {
                weekday_hours(8, 20)
                    .chain(std::iter::once(OpeningInterval {
                        weekday: 5,
                        start_minute: 9 * 60,
                        end_minute: 15 * 60,
                    }))
                    .collect()
            };
            store
                .save_calendar(&StoredCalendar {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    spec: CalendarSpec {
                        time_zone: (*tz).to_owned(),
                        intervals,
                        holidays: server::calendars::shipped_holidays(country)?,
                        workdays: server::calendars::shipped_workdays(country)?,
                    },
                    updated_at_us: now,
                })
                .await?;
        }
        store.set_region_calendar(id, id).await?;
    }
    if let Some((jakarta, ..)) = regions.first() {
        for channel in Channel::ALL {
            store.set_channel_calendar(*channel, jakarta).await?;
        }
    }
    Ok(())
}

/// The default SLA policies, first match wins: urgent tickets; privacy and security at
/// least as fast as high priority whatever their priority says; then high, normal and
/// low. Targets are business minutes; a business day counts 8 hours. Policies an admin
/// already has are left as they are.
pub async fn seed_sla_policies(store: &Store, now: i64) -> anyhow::Result<()> {
    use domain::sla::{SlaConditions, SlaPolicy, SlaRepo, SlaTargets, parse_policies};
    if !store.sla_policies().await?.is_empty() {
        return Ok(());
    }
    let policy = |id: &str, name: &str, conditions: SlaConditions, targets: [u32; 3]| SlaPolicy {
        id: id.into(),
        name: name.into(),
        conditions,
        targets: SlaTargets {
            first_response_minutes: Some(targets[0]),
            next_response_minutes: Some(targets[1]),
            resolution_minutes: Some(targets[2]),
        },
        warn_before_minutes: domain::sla::DEFAULT_WARN_BEFORE_MINUTES,
        escalate_after_minutes: domain::sla::DEFAULT_ESCALATE_AFTER_MINUTES,
    };
    let by_priority = |p: Priority| SlaConditions {
        priorities: vec![p],
        ..SlaConditions::default()
    };
    let policies = parse_policies(vec![
        policy(
            "urgent",
            "Urgent",
            by_priority(Priority::Urgent),
            [30, 30, 240],
        ),
        policy(
            "privacy-security",
            "Privacy and security (at least high)",
            SlaConditions {
                categories: vec![Category::PrivacySecurity],
                ..SlaConditions::default()
            },
            [60, 60, 480],
        ),
        policy("high", "High", by_priority(Priority::High), [60, 120, 480]),
        policy(
            "normal",
            "Normal",
            by_priority(Priority::Normal),
            [240, 240, 960],
        ),
        policy("low", "Low", SlaConditions::default(), [480, 480, 2400]),
    ])
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    store.save_sla_policies(&policies, now).await?;
    Ok(())
}

/// The group new tickets of each category land in, by demo group name: money problems to
/// payments, access and security to accounts, merchants and their coupons to merchant
/// care.
const CATEGORY_GROUPS: [(Category, &str); 8] = [
    (Category::FailedTransaction, "Payments & Refunds"),
    (Category::Refund, "Payments & Refunds"),
    (Category::CardLinking, "Payments & Refunds"),
    (Category::Other, "Payments & Refunds"),
    (Category::AccountSignIn, "Accounts & Security"),
    (Category::PrivacySecurity, "Accounts & Security"),
    (Category::MerchantComplaint, "Merchant Care"),
    (Category::Coupon, "Merchant Care"),
];

/// A demo canned response: fixed id, title, category, English, Indonesian, Chinese.
type DemoCanned = (
    &'static str,
    &'static str,
    Option<Category>,
    &'static str,
    &'static str,
    &'static str,
);

const CANNED: [DemoCanned; 6] = [
    (
        "0190a000-0000-7000-8000-00000000c001",
        "Greeting: looking into it",
        None,
        "Hi {name}, thank you for contacting us. I'm {agent} and I'm looking into your request now. I'll update you here as soon as I know more.",
        "Halo {name}, terima kasih sudah menghubungi kami. Saya {agent} dan sedang memeriksa permintaan Anda. Saya akan mengabari Anda di sini begitu ada informasi terbaru.",
        "{name}您好，感谢您联系我们。我是客服{agent}，正在为您查看这个问题，一有进展会第一时间在这里告诉您。",
    ),
    (
        "0190a000-0000-7000-8000-00000000c002",
        "Failed payment: the balance comes back by itself",
        Some(Category::FailedTransaction),
        "Hi {name}, I checked the payment: it failed, so no money reached the merchant. If your balance went down, the amount returns to your wallet automatically within 24 hours. If it is not back by then, reply here and we will chase it with the bank.",
        "Halo {name}, sudah saya cek: pembayarannya gagal, jadi dananya tidak sampai ke merchant. Jika saldo Anda sempat terpotong, dana akan kembali otomatis ke dompet Anda dalam 1x24 jam. Kalau sampai batas itu belum kembali, balas pesan ini dan kami akan menindaklanjutinya dengan pihak bank.",
        "{name}您好，我查了这笔付款：付款失败，钱并没有到商家那里。如果余额已被扣除，款项会在 24 小时内自动退回您的钱包。如果届时仍未到账，请直接回复这条消息，我们会跟银行跟进。",
    ),
    (
        "0190a000-0000-7000-8000-00000000c003",
        "Refund approved and on its way",
        Some(Category::Refund),
        "Hi {name}, the merchant has approved your refund. The money goes back to your wallet balance, usually within 3 working days, and you will get a notification when it arrives.",
        "Halo {name}, refund Anda sudah disetujui merchant. Dana akan dikembalikan ke saldo dompet Anda, biasanya paling lambat 3 hari kerja, dan Anda akan mendapat notifikasi begitu dananya masuk.",
        "{name}您好，商家已同意您的退款，款项会退回到您的钱包余额，一般在 3 个工作日内到账，到账后您会收到通知。",
    ),
    (
        "0190a000-0000-7000-8000-00000000c004",
        "Account locked after wrong PINs",
        Some(Category::AccountSignIn),
        "Hi {name}, for your security the account was locked after several wrong PIN attempts. It unlocks by itself after 30 minutes; then sign in and choose \"Forgot PIN\" to set a new one. Never share your PIN or OTP with anyone, our staff included.",
        "Halo {name}, demi keamanan, akun Anda terkunci karena beberapa kali salah memasukkan PIN. Akun akan terbuka otomatis setelah 30 menit; setelah itu silakan masuk dan pilih \"Lupa PIN\" untuk membuat PIN baru. Jangan pernah memberikan PIN atau kode OTP kepada siapa pun, termasuk petugas kami.",
        "{name}您好，为了保障账户安全，多次输错支付密码后账户已被临时锁定，30 分钟后会自动解锁。解锁后请登录并选择“忘记密码”重新设置。请不要把支付密码或验证码告诉任何人，包括我们的工作人员。",
    ),
    (
        "0190a000-0000-7000-8000-00000000c005",
        "Ask for the transaction details",
        None,
        "Hi {name}, to check this I need a few details: the date and time of the transaction, the amount, and the reference number shown in your transaction history. A screenshot works too.",
        "Halo {name}, untuk mengeceknya saya perlu beberapa data: tanggal dan jam transaksi, nominalnya, serta nomor referensi yang tertera di riwayat transaksi. Tangkapan layar juga boleh.",
        "{name}您好，为了核实这笔交易，还需要您提供：交易日期和时间、金额，以及交易记录里显示的参考号。直接发截图也可以。",
    ),
    (
        "0190a000-0000-7000-8000-00000000c006",
        "Solved: anything else?",
        None,
        "Glad that's sorted, {name}! I'll mark this ticket as solved. If anything else comes up, just reply here and it reopens. — {agent}",
        "Senang masalahnya sudah beres, {name}! Tiket ini saya tandai selesai ya. Kalau ada kendala lain, cukup balas pesan ini dan tiketnya akan terbuka kembali. — {agent}",
        "很高兴问题已经解决了，{name}！我会把这个工单标记为已解决。如果还有其他问题，直接回复这条消息，工单就会重新打开。——{agent}",
    ),
];

/// The agent console's demo setup: which group each category's new tickets land in, and
/// a handful of canned responses in three languages. Seeded before the tickets so they
/// arrive in their groups; nothing an admin changed since is overwritten.
pub async fn seed_console(store: &Store, now: i64) -> anyhow::Result<()> {
    let groups = store.groups().await?;
    let routed: Vec<Category> = store
        .category_groups()
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    for (category, name) in CATEGORY_GROUPS {
        let Some(group) = groups.iter().find(|g| g.name == name) else {
            continue;
        };
        if !routed.contains(&category) {
            store.set_category_group(category, Some(&group.id)).await?;
        }
    }
    let existing: Vec<String> = store
        .canned_responses()
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    for (id, title, category, en, id_text, zh) in CANNED {
        if existing.iter().any(|e| e == id) {
            continue;
        }
        let canned = CannedResponse::parse(
            id.to_owned(),
            title,
            category.map(Category::as_str).unwrap_or_default(),
            en,
            id_text,
            zh,
            now,
        )
        .map_err(|e| anyhow::anyhow!("demo canned response {title}: {e}"))?;
        store.save_canned_response(&canned).await?;
    }
    Ok(())
}
