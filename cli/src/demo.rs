//! `kintsugi demo`: two phones in one process, on loopback.

use std::sync::{Arc, Mutex};

use anyhow::{Result, ensure};
use kintsugi_core::{CheckInInput, Device, Unlock};
use kintsugi_sync::{NetworkConfig, Node};

use crate::render::{self, Names};

struct Phone {
    label: &'static str,
    device: Arc<Mutex<Device>>,
    node: Node,
}

impl Phone {
    async fn new(root: &std::path::Path, name: &'static str) -> Result<Phone> {
        // Each phone keeps a host key in its keystore; here, in memory.
        let key = Unlock::HostKey(Unlock::generate_host_key());
        let device = Device::init(root.join(name.to_lowercase()), name, &key)?;
        let device = Arc::new(Mutex::new(device));
        let node = Node::spawn(device.clone(), &NetworkConfig::loopback()).await?;
        Ok(Phone {
            label: name,
            device,
            node,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Device) -> T) -> T {
        f(&mut self.device.lock().expect("demo lock"))
    }
}

fn step(text: &str) {
    println!("\n▸ {text}");
}

pub async fn run() -> Result<()> {
    let root = tempfile::tempdir()?;
    println!(
        "Two phones, each with its own data directory under {}",
        root.path().display()
    );
    let ana = Phone::new(root.path(), "Ana").await?;
    let ben = Phone::new(root.path(), "Ben").await?;

    step("Ana shows a pairing QR code; Ben scans it");
    let invite = ana.node.create_invite()?;
    let payload = invite.payload();
    println!(
        "  payload: {}…{}",
        &payload[..40],
        &payload[payload.len() - 12..]
    );
    let bens_screen = ben.node.join(&payload).await?;
    let anas_screen = ana.node.next_pairing_request().await;
    println!(
        "  both screens show the code {} (Ana's: {}); both tap \"It matches\"",
        bens_screen.code(),
        anas_screen.code()
    );
    let (partner, _) = tokio::join!(bens_screen.confirm(), anas_screen.confirm());
    let partner = partner?;
    ana.node.wait_for_partner().await;
    println!(
        "  Ben is paired with {}; Ana is paired with Ben",
        partner.name
    );

    step("Apart, each records a check-in and Ana proposes an agreement");
    ana.with(|d| {
        d.record_checkin(&CheckInInput {
            safety: 4,
            trust: 3,
            connection: 5,
            moods: vec!["doubtful".into(), "hopeful".into()],
            note: Some("A song in the car brought it all back.".into()),
            ..Default::default()
        })
    })?;
    ben.with(|d| {
        d.record_checkin(&CheckInInput {
            safety: 7,
            trust: 6,
            connection: 6,
            moods: vec!["sad".into(), "hopeful".into()],
            note: Some("Told Ana the truth about the message I got.".into()),
            ..Default::default()
        })
    })?;
    let proposal = ana.with(|d| {
        d.propose_agreement("No contact with the affair partner; any contact is told the same day.")
    })?;
    println!("  Ana: 1 check-in, 1 proposal · Ben: 1 check-in");

    step("Ben syncs with Ana");
    let report = ben.node.sync_now().await?;
    println!(
        "  {} change(s) received, {} bytes sent, {} bytes received",
        report.changes_received, report.bytes_sent, report.bytes_received
    );

    step("Ben accepts the agreement, and they sync again");
    let accepted = ben.with(|d| d.accept_agreement(&proposal))?;
    let report = ben.node.sync_now().await?;
    println!(
        "  accepted {}; {} bytes sent",
        render::short(&accepted.id),
        report.bytes_sent
    );

    step("Both phones now hold the same shared space");
    let heads_a = ana.with(|d| d.doc_mut().map(|doc| doc.heads()))?;
    let heads_b = ben.with(|d| d.doc_mut().map(|doc| doc.heads()))?;
    side_by_side(&ana, &ben);
    ensure!(heads_a == heads_b, "the two phones did not converge");
    println!(
        "\n✓ Converged: both phones have the same {} head(s).",
        heads_a.len()
    );

    ana.node.shutdown().await;
    ben.node.shutdown().await;
    Ok(())
}

fn view(phone: &Phone) -> Vec<String> {
    phone.with(|d| {
        let names = Names::of(d);
        let mut lines = vec![
            format!("{}'s phone", phone.label),
            String::new(),
            "Agreements".into(),
        ];
        lines.extend(render::agreement_lines(
            &d.agreements().unwrap_or_default(),
            &names,
        ));
        lines.push(String::new());
        lines.push("Check-ins".into());
        for c in d.checkins().unwrap_or_default() {
            lines.push(format!(
                "{}: safety {} trust {} connection {}",
                names.get(&c.author),
                c.safety,
                c.trust,
                c.connection
            ));
            if let Some(note) = c.note {
                lines.push(format!("  “{note}”"));
            }
        }
        lines
    })
}

fn side_by_side(a: &Phone, b: &Phone) {
    const WIDTH: usize = 58;
    let (left, right) = (view(a), view(b));
    let wrap = |lines: Vec<String>| -> Vec<String> {
        lines.iter().flat_map(|l| wrap_words(l, WIDTH)).collect()
    };
    let (left, right) = (wrap(left), wrap(right));
    println!();
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map(String::as_str).unwrap_or("");
        let r = right.get(i).map(String::as_str).unwrap_or("");
        println!("  {l:<WIDTH$} │ {r}");
    }
}

/// Breaks a line at spaces so no piece is wider than `width` characters.
fn wrap_words(line: &str, width: usize) -> Vec<String> {
    let indent: String = line.chars().take_while(|c| *c == ' ').collect();
    let mut out = vec![String::new()];
    for word in line.split_whitespace() {
        let current = out.last_mut().expect("never empty");
        let needed = current.chars().count() + word.chars().count() + 1;
        if !current.trim().is_empty() && needed > width {
            out.push(format!("{indent}    {word}"));
        } else {
            if current.is_empty() {
                current.push_str(&indent);
            } else {
                current.push(' ');
            }
            current.push_str(word);
        }
    }
    out
}
