//! Which form of a community's activity each kind of fediverse software reads: the one
//! place that list is kept (described in `docs/federation/README.md`, "One request per peer").
//!
//! A group (FEP-1b12) passes on what happens in it as an `Announce` of the activity
//! (`Announce(Create(Page))`, `Announce(Update(…))`, `Announce(Delete(…))`). Group-aware
//! software reads that. Microblog software (Mastodon and the like) ignores it: it shows a
//! post from an `Announce` of the bare object, and takes edits and deletions only from an
//! `Update`/`Delete` signed by the author. An instance is known by NodeInfo's
//! `software.name`, fetched when it is first seen and again daily (`weft-federation`'s
//! `nodeinfo`); one that does not say, or runs software not listed here, gets both forms.

/// Software that reads the `Announce` of the activity (FEP-1b12 group-aware).
pub const GROUP_AWARE: &[&str] = &[
    "lemmy",
    "mbin",
    "kbin",
    "piefed",
    "nodebb",
    "friendica",
    "weft",
    "lotide",
];

/// Software that reads only the `Announce` of the bare object, and the author's own
/// `Update`/`Delete`.
pub const MICROBLOG: &[&str] = &[
    "mastodon",
    "glitch-soc",
    "hometown",
    "misskey",
    "sharkey",
    "firefish",
    "iceshrimp",
    "catodon",
    "cherrypick",
    "foundkey",
    "calckey",
    "gotosocial",
    "akkoma",
    "pleroma",
    "snac",
    "takahe",
    "honk",
];

/// What an instance reads of what a community sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The `Announce` of the activity only.
    Activity,
    /// The `Announce` of the bare object, and the author's own `Update`/`Delete`.
    Object,
    /// Not known: everything is sent.
    Both,
}

/// One of the forms a community's activity is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The `Announce` of the activity (`Announce(Create(Page))`, `Announce(Update)`, …).
    Activity,
    /// The `Announce` of the bare object, or the author's own `Update`/`Delete`.
    Object,
}

impl Reads {
    /// Whether an instance reading this is sent `form`.
    pub fn wants(self, form: Form) -> bool {
        matches!(
            (self, form),
            (Reads::Both, _) | (Reads::Activity, Form::Activity) | (Reads::Object, Form::Object)
        )
    }
}

/// What an instance running `software` (NodeInfo's `software.name`, any case) reads.
pub fn reads(software: Option<&str>) -> Reads {
    let Some(name) = software.map(|s| s.trim().to_ascii_lowercase()) else {
        return Reads::Both;
    };
    if GROUP_AWARE.contains(&name.as_str()) {
        Reads::Activity
    } else if MICROBLOG.contains(&name.as_str()) {
        Reads::Object
    } else {
        Reads::Both
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_software_gets_the_form_it_reads() {
        assert_eq!(reads(Some("Lemmy")), Reads::Activity);
        assert_eq!(reads(Some("weft")), Reads::Activity);
        assert_eq!(reads(Some("mastodon")), Reads::Object);
        assert_eq!(reads(Some("sharkey")), Reads::Object);
        assert_eq!(reads(Some("something-new")), Reads::Both);
        assert_eq!(reads(None), Reads::Both);
        assert!(Reads::Both.wants(Form::Activity) && Reads::Both.wants(Form::Object));
        assert!(!Reads::Activity.wants(Form::Object));
        assert!(!Reads::Object.wants(Form::Activity));
    }

    #[test]
    fn no_software_is_in_both_lists() {
        assert!(GROUP_AWARE.iter().all(|s| !MICROBLOG.contains(s)));
    }
}
