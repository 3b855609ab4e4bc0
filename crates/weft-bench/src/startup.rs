//! P6 start-up (launch to serving on an empty database, migrations and the instance
//! actor's keys included) and P5 idle memory.

use crate::weft::{Setup, mb};
use crate::{Options, Row};
use std::time::Duration;

pub async fn run(options: &Options) -> Result<Vec<Row>, String> {
    let rounds = if options.smoke { 1 } else { 5 };
    let mut rows = vec![];
    for backend in options.backends() {
        let mut times = vec![];
        let mut idle = 0;
        for _ in 0..rounds {
            let setup = Setup::empty(&backend)?;
            let (weft, took) = setup.start(&[]).await?;
            times.push(took);
            tokio::time::sleep(Duration::from_millis(if options.smoke {
                100
            } else {
                2_000
            }))
            .await;
            idle = idle.max(weft.memory().0);
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64();
        let worst = times.last().unwrap().as_secs_f64();
        println!(
            "P6 start-up ({}): median {:.0} ms, worst {:.0} ms over {rounds} launches on an empty database; \
             P5 idle resident memory {:.1} MB",
            backend.name(),
            median * 1e3,
            worst * 1e3,
            mb(idle)
        );
        rows.push(Row {
            name: "P6 start-up on an empty database",
            backend: backend.name(),
            goal: "≤ 1 s".into(),
            limit: "1 s".into(),
            measured: format!("median {:.0} ms, worst {:.0} ms", median * 1e3, worst * 1e3),
            ratio: format!("{median:.2}"),
            pass: Some(worst <= 1.0),
            broken: vec![],
        });
        rows.push(Row {
            name: "P5 memory, idle",
            backend: backend.name(),
            goal: "≤ 40 MB".into(),
            limit: "40 MB".into(),
            measured: format!("{:.1} MB resident", mb(idle)),
            ratio: format!("{:.2}", mb(idle) / 40.0),
            pass: Some(mb(idle) <= 40.0),
            broken: vec![],
        });
    }
    Ok(rows)
}
