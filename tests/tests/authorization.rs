//! The authorisation matrix: every kind of actor × every action, asked of a running
//! instance (the REST API for local people, signed deliveries to the inbox for a remote
//! follower), with the exact answer. The table it observes must equal
//! `docs/authorization.md`, so the rules and their documentation cannot drift:
//! `WEFT_BLESS=1 cargo test -p weft-tests --test authorization` rewrites the file after a
//! deliberate change (read the diff before committing it).

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use weft_db::models::ActorRow;
use weft_tests::*;

const WAIT: Duration = Duration::from_secs(30);

/// The kinds of actor, as the table's columns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Anonymous,
    NonMember,
    RemoteFollower,
    Member,
    Weaver,
    Facilitator,
    Lead,
    Admin,
}

const EVERYONE: [(Who, &str); 8] = [
    (Who::Anonymous, "anonymous"),
    (Who::NonMember, "signed-in non-member"),
    (Who::RemoteFollower, "remote follower"),
    (Who::Member, "member"),
    (Who::Weaver, "weaver"),
    (Who::Facilitator, "facilitator"),
    (Who::Lead, "lead"),
    (Who::Admin, "instance admin"),
];

/// The actions, as the table's rows.
#[derive(Clone, Copy, Debug)]
enum Action {
    StartThread,
    StartThreadModsOnly,
    Reply,
    EditOwn,
    EditOthers,
    DeleteOwn,
    DeleteOthers,
    ScheduleEvent,
    EditEvent,
    SeeAttendees,
    Rsvp,
    ReviewRegistrations,
    SetRegistrationPolicy,
    InviteToInstance,
    SeeMembers,
    ChangeRole,
    SetJoinPolicy,
    AnswerJoinRequest,
    InviteToCommunity,
    EditProfile,
    Propose,
    Activate,
    Archive,
    Reopen,
    ReadFeeds,
    KeepCalendar,
    UploadFile,
    AddResource,
    EditOthersResource,
    DeleteOthersResource,
    RestoreVersion,
    AddToArchivedLibrary,
    SearchDirectory,
    ListInDirectory,
    ConveneConstellation,
    SetFederationPolicy,
    SeeDirectoryCrawl,
    Weave,
    UnweaveOthers,
    LinkBridge,
    UnlinkBridge,
}

const ACTIONS: [(Action, &str); 41] = [
    (Action::StartThread, "start a thread"),
    (
        Action::StartThreadModsOnly,
        "start a thread where only leads and facilitators may",
    ),
    (Action::Reply, "reply"),
    (Action::EditOwn, "edit their own post"),
    (Action::EditOthers, "edit someone else's post"),
    (Action::DeleteOwn, "delete their own post"),
    (Action::DeleteOthers, "delete someone else's post"),
    (Action::ScheduleEvent, "schedule an event"),
    (Action::EditEvent, "change an event the lead organised"),
    (Action::SeeAttendees, "see who is coming to an event"),
    (Action::Rsvp, "RSVP to an event"),
    (
        Action::ReviewRegistrations,
        "review registrations waiting for approval",
    ),
    (
        Action::SetRegistrationPolicy,
        "set the instance's registration policy",
    ),
    (Action::InviteToInstance, "invite someone to register"),
    (Action::SeeMembers, "see the members list"),
    (Action::ChangeRole, "change a member's role"),
    (Action::SetJoinPolicy, "set the join policy"),
    (
        Action::AnswerJoinRequest,
        "accept a request to join (a community that approves members)",
    ),
    (
        Action::InviteToCommunity,
        "invite someone into the community",
    ),
    (Action::EditProfile, "edit the community's profile"),
    (Action::Propose, "propose a new community"),
    (Action::Activate, "activate a proposed community"),
    (Action::Archive, "archive the community"),
    (Action::Reopen, "reopen an archived community"),
    (
        Action::ReadFeeds,
        "read the community's Atom feed and calendar",
    ),
    (
        Action::KeepCalendar,
        "make and revoke their own private calendar address",
    ),
    (
        Action::UploadFile,
        "upload a file to the community's library",
    ),
    (Action::AddResource, "add a resource to the library"),
    (Action::EditOthersResource, "edit someone else's resource"),
    (
        Action::DeleteOthersResource,
        "delete someone else's resource",
    ),
    (
        Action::RestoreVersion,
        "restore an old version of a resource",
    ),
    (
        Action::AddToArchivedLibrary,
        "add a resource to an archived community's library",
    ),
    (
        Action::SearchDirectory,
        "search the directory of the constellation's communities",
    ),
    (
        Action::ListInDirectory,
        "list the community in the directory, or take it out",
    ),
    (Action::ConveneConstellation, "convene a constellation"),
    (
        Action::SetFederationPolicy,
        "set the instance's federation policy",
    ),
    (
        Action::SeeDirectoryCrawl,
        "see the crawl of the constellation's directories",
    ),
    (
        Action::Weave,
        "weave another community's thread into the community",
    ),
    (Action::UnweaveOthers, "unweave what a weaver wove"),
    (
        Action::LinkBridge,
        "link the community to another (a bridge)",
    ),
    (Action::UnlinkBridge, "unlink a bridge"),
];

/// What one actor got when trying one action.
#[derive(Clone, PartialEq, Debug)]
enum Cell {
    Allowed,
    /// Accepted by the inbox but dropped, with the reason.
    Ignored(String),
    Refused(u16, String),
    /// The action has no meaning for this actor (a remote person has no API here).
    NotApplicable,
}

struct World {
    a: Instance,
    b: Instance,
    cop: String,
    leads: String,
    people: Vec<(Who, Member)>,
    /// A member whose posts are "someone else's".
    author: Member,
    remote: Member,
    remote_signer: Signer,
    community: ActorRow,
    thread_ap_id: String,
    event_id: i64,
    event_ap_id: String,
}

fn cell_of((status, body): (u16, Value)) -> Cell {
    let detail = body["detail"].as_str().unwrap_or_default().to_string();
    match status {
        200..=299 if body["status"] == "ignored" => Cell::Ignored(detail),
        200..=299 => Cell::Allowed,
        _ => Cell::Refused(status, detail),
    }
}

impl World {
    async fn new(backend: &Backend) -> World {
        let a = Instance::start("a", backend);
        let b = Instance::start("b", backend);
        let lead = a.user("lead");
        let community = a.community("cop", &lead, false);
        a.community("leads", &lead, true);
        let mut people = vec![];
        for (who, name) in [
            (Who::NonMember, "nora"),
            (Who::Member, "mo"),
            (Who::Weaver, "wes"),
            (Who::Facilitator, "fay"),
        ] {
            people.push((who, a.user(name)));
        }
        people.push((Who::Lead, lead));
        people.push((Who::Admin, a.admin("root")));
        let author = a.user("mia");
        a.user("tom");
        let lead_token = people
            .iter()
            .find(|(w, _)| *w == Who::Lead)
            .unwrap()
            .1
            .token
            .clone();
        a.community(
            "club",
            &people.iter().find(|(w, _)| *w == Who::Lead).unwrap().1,
            false,
        );
        let (status, body) = call_api(
            &a.base,
            Method::PUT,
            "/api/v1/communities/club/join-policy",
            Some(&lead_token),
            None,
            Some(json!({"policy": "approval"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        for (name, role) in [
            ("mo", "member"),
            ("wes", "weaver"),
            ("fay", "facilitator"),
            ("mia", "member"),
            ("tom", "member"),
        ] {
            for community in ["cop", "leads", "club"] {
                a.db.write_blocking(|c| {
                    weft_core::accounts::set_role(c, &a.urls(), community, name, role)
                })
                .unwrap();
            }
        }
        let remote = b.user("bob");
        let cop = a.handle("cop");
        remote.follow(&cop).await;
        eventually("bob's follow accepted", WAIT, || async {
            (remote.follow(&cop).await == "accepted").then_some(())
        })
        .await;
        let remote_signer = signer_of(&b, &remote.actor);
        let thread = author.post(&cop, "A thread", "To reply to.").await;
        let lead = &people.iter().find(|(w, _)| *w == Who::Lead).unwrap().1;
        let (status, event) = lead.schedule(&cop, event_body()).await;
        assert_eq!(status, 201, "{event}");
        World {
            leads: a.handle("leads"),
            a,
            b,
            cop,
            people,
            author,
            remote,
            remote_signer,
            community,
            thread_ap_id: thread.ap_id,
            event_id: event["id"].as_i64().unwrap(),
            event_ap_id: event["ap_id"].as_str().unwrap().to_string(),
        }
    }

    fn client(&self, who: Who) -> Option<&Member> {
        self.people.iter().find(|(w, _)| *w == who).map(|(_, m)| m)
    }

    /// One action by one actor, with whatever it needs made first.
    async fn try_action(&self, action: Action, who: Who) -> Cell {
        if who == Who::RemoteFollower {
            return self.try_remotely(action).await;
        }
        let me = self.client(who);
        let token = me.map(|m| m.token.as_str());
        let base = &self.a.base;
        let call = |method: Method, path: String, body: Option<Value>| async move {
            cell_of(call_api(base, method, &path, token, None, body).await)
        };
        let post =
            |community: &str| json!({"community": community, "title": "Hello", "content": "Hi."});
        match action {
            Action::StartThread => {
                call(Method::POST, "/api/v1/posts".into(), Some(post(&self.cop))).await
            }
            Action::StartThreadModsOnly => {
                call(
                    Method::POST,
                    "/api/v1/posts".into(),
                    Some(post(&self.leads)),
                )
                .await
            }
            Action::Reply => {
                let body = json!({"in_reply_to": self.thread_ap_id, "content": "Yes."});
                call(Method::POST, "/api/v1/posts".into(), Some(body)).await
            }
            Action::EditOwn | Action::DeleteOwn => {
                let Some(me) = me else {
                    return Cell::NotApplicable;
                };
                let mine = me.post(&self.cop, "Mine", "My words.").await;
                self.change(action, mine.id, token).await
            }
            Action::EditOthers | Action::DeleteOthers => {
                let theirs = self.author.post(&self.cop, "Theirs", "Their words.").await;
                self.change(action, theirs.id, token).await
            }
            Action::ScheduleEvent => {
                let path = format!("/api/v1/communities/{}/events", self.cop);
                call(Method::POST, path, Some(event_body())).await
            }
            Action::EditEvent => {
                let path = format!("/api/v1/events/{}", self.event_id);
                call(
                    Method::PATCH,
                    path,
                    Some(json!({"title": "Supervision circle"})),
                )
                .await
            }
            Action::SeeAttendees => {
                call(
                    Method::GET,
                    format!("/api/v1/events/{}/attendees", self.event_id),
                    None,
                )
                .await
            }
            Action::Rsvp => {
                let path = format!("/api/v1/events/{}/rsvp", self.event_id);
                call(Method::POST, path, Some(json!({"answer": "maybe"}))).await
            }
            Action::ReviewRegistrations => {
                call(Method::GET, "/api/v1/admin/registrations".into(), None).await
            }
            Action::SetRegistrationPolicy => {
                let body = json!({"registration_policy": "approval"});
                call(Method::PUT, "/api/v1/admin/instance".into(), Some(body)).await
            }
            Action::InviteToInstance => {
                call(
                    Method::POST,
                    "/api/v1/admin/invitations".into(),
                    Some(json!({})),
                )
                .await
            }
            Action::SeeMembers => {
                call(Method::GET, "/api/v1/communities/cop/members".into(), None).await
            }
            Action::ChangeRole => {
                let body = json!({"role": "weaver"});
                call(
                    Method::PUT,
                    "/api/v1/communities/cop/members/tom".into(),
                    Some(body),
                )
                .await
            }
            Action::SetJoinPolicy => {
                let body = json!({"policy": "open"});
                call(
                    Method::PUT,
                    "/api/v1/communities/cop/join-policy".into(),
                    Some(body),
                )
                .await
            }
            Action::AnswerJoinRequest => {
                let id = self.join_request().await;
                let path = format!("/api/v1/communities/club/requests/{id}/accept");
                call(Method::POST, path, None).await
            }
            Action::SearchDirectory => {
                call(Method::GET, "/api/v1/directory?q=trauma".into(), None).await
            }
            Action::ListInDirectory => {
                let body = json!({"discoverable": true});
                call(
                    Method::PUT,
                    "/api/v1/communities/cop/directory".into(),
                    Some(body),
                )
                .await
            }
            Action::ConveneConstellation => {
                let name = format!("c{}", rand::random::<u32>());
                let body = json!({"name": name});
                call(
                    Method::POST,
                    "/api/v1/admin/constellations".into(),
                    Some(body),
                )
                .await
            }
            Action::SetFederationPolicy => {
                let body = json!({"policy": "open"});
                call(
                    Method::PUT,
                    "/api/v1/admin/federation-policy".into(),
                    Some(body),
                )
                .await
            }
            Action::SeeDirectoryCrawl => {
                call(Method::GET, "/api/v1/admin/directory/sources".into(), None).await
            }
            Action::EditProfile => {
                let body = json!({"meeting_rhythm": "Monthly, first Tuesday"});
                call(Method::PATCH, "/api/v1/communities/cop".into(), Some(body)).await
            }
            Action::Propose => {
                let name = format!("idea{}", rand::random::<u32>());
                let body = json!({"name": name, "title": "An idea", "about": "Peer support.",
                    "why": "Nobody does this yet.", "confirmed": true});
                call(Method::POST, "/api/v1/proposals".into(), Some(body)).await
            }
            Action::Activate | Action::Archive | Action::Reopen => {
                let name = self.community_in_state(action).await;
                let verb = match action {
                    Action::Activate => "activate",
                    Action::Archive => "archive",
                    _ => "reopen",
                };
                call(
                    Method::POST,
                    format!("/api/v1/communities/{name}/{verb}"),
                    None,
                )
                .await
            }
            Action::InviteToCommunity => {
                call(
                    Method::POST,
                    "/api/v1/communities/cop/invitations".into(),
                    Some(json!({})),
                )
                .await
            }
            Action::ReadFeeds => self.read_feeds(token).await,
            Action::KeepCalendar => {
                let made = call(Method::POST, "/api/v1/calendar".into(), None).await;
                if made != Cell::Allowed {
                    return made;
                }
                call(Method::DELETE, "/api/v1/calendar".into(), None).await
            }
            Action::UploadFile => {
                let bytes = weft_tests::files::pdf(1000, &rand::random::<u64>().to_string());
                let (status, body) = weft_tests::files::upload(
                    base,
                    token,
                    "cop",
                    "notes.pdf",
                    "application/pdf",
                    &bytes,
                )
                .await;
                cell_of((status, body))
            }
            Action::AddResource => {
                call(
                    Method::POST,
                    "/api/v1/communities/cop/resources".into(),
                    Some(resource_body()),
                )
                .await
            }
            Action::EditOthersResource | Action::DeleteOthersResource | Action::RestoreVersion => {
                let id = self.others_resource().await["id"].as_i64().unwrap();
                let (method, path, body) = match action {
                    Action::EditOthersResource => (
                        Method::PATCH,
                        format!("/api/v1/resources/{id}"),
                        Some(json!({"description": "Changed."})),
                    ),
                    Action::DeleteOthersResource => {
                        (Method::DELETE, format!("/api/v1/resources/{id}"), None)
                    }
                    _ => (
                        Method::POST,
                        format!("/api/v1/resources/{id}/restore"),
                        Some(json!({"version": 1})),
                    ),
                };
                call(method, path, body).await
            }
            Action::AddToArchivedLibrary => {
                let name = self.community_in_state(Action::Reopen).await;
                call(
                    Method::POST,
                    format!("/api/v1/communities/{name}/resources"),
                    Some(resource_body()),
                )
                .await
            }
            Action::Weave => {
                let thread = self.thread_to_weave().await;
                call(
                    Method::POST,
                    "/api/v1/communities/cop/weaves".into(),
                    Some(json!({"object": thread, "note": "Why it matters here."})),
                )
                .await
            }
            Action::UnweaveOthers => {
                let weaver = self.client(Who::Weaver).expect("the weaver");
                let thread = self.thread_to_weave().await;
                let (status, woven) = weaver
                    .raw(
                        Method::POST,
                        "/api/v1/communities/cop/weaves",
                        Some(json!({"object": thread, "note": "Why it matters here."})),
                    )
                    .await;
                assert_eq!(status, 201, "{woven}");
                call(
                    Method::DELETE,
                    format!("/api/v1/communities/cop/weaves/{}", woven["id"]),
                    None,
                )
                .await
            }
            Action::LinkBridge => {
                let body = json!({"target": "leads", "place": ["threads"]});
                call(
                    Method::POST,
                    "/api/v1/communities/cop/bridges".into(),
                    Some(body),
                )
                .await
            }
            Action::UnlinkBridge => {
                let id = self.bridge().await;
                let path = format!("/api/v1/communities/cop/bridges/{id}");
                call(Method::DELETE, path, None).await
            }
        }
    }

    /// A new thread of `club`, another community here, to weave into `cop`.
    async fn thread_to_weave(&self) -> String {
        let club = self.a.handle("club");
        self.author
            .post(&club, "Worth weaving", "Learning from elsewhere.")
            .await
            .ap_id
    }

    /// A bridge from cop to leads, linked by the lead (again, when it was unlinked).
    async fn bridge(&self) -> i64 {
        let lead = self.client(Who::Lead).unwrap();
        let (status, body) = lead
            .raw(
                Method::POST,
                "/api/v1/communities/cop/bridges",
                Some(json!({"target": "leads"})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// GETs the community's Atom feed and calendar (with the token, when there is one):
    /// allowed when both answer 200, else the first refusal.
    async fn read_feeds(&self, token: Option<&str>) -> Cell {
        for ext in ["atom", "ics"] {
            let mut request =
                reqwest::Client::new().get(format!("{}/feeds/communities/cop.{ext}", self.a.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("reachable");
            let status = response.status().as_u16();
            if status != 200 {
                let body: Value = response.json().await.unwrap_or_default();
                return cell_of((status, body));
            }
        }
        Cell::Allowed
    }

    /// A resource of `cop` by its author (a member), edited once (version 2).
    async fn others_resource(&self) -> Value {
        let (status, made) = self
            .author
            .raw(
                Method::POST,
                "/api/v1/communities/cop/resources",
                Some(resource_body()),
            )
            .await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_i64().unwrap();
        let (status, edited) = self
            .author
            .raw(
                Method::PATCH,
                &format!("/api/v1/resources/{id}"),
                Some(json!({"description": "Two ways."})),
            )
            .await;
        assert_eq!(status, 200, "{edited}");
        edited
    }

    /// A new community, led by the lead and with the same roles as `cop`, in the state
    /// `action` starts from: a proposal to activate, an active community to archive, an
    /// archived one to reopen.
    async fn community_in_state(&self, action: Action) -> String {
        let lead = self.client(Who::Lead).unwrap();
        let name = format!("new_{}", rand::random::<u32>());
        if matches!(action, Action::Activate) {
            let body = json!({"name": name, "title": "An idea", "about": "Peer support.",
                "why": "Nobody does this yet.", "confirmed": true});
            let (status, answer) = call_api(
                &self.a.base,
                Method::POST,
                "/api/v1/proposals",
                Some(&lead.token),
                None,
                Some(body),
            )
            .await;
            assert_eq!(status, 201, "{answer}");
        } else {
            self.a.community(&name, lead, false);
        }
        let urls = self.a.urls();
        for (person, role) in [("mo", "member"), ("wes", "weaver"), ("fay", "facilitator")] {
            let urls = urls.clone();
            let n = name.clone();
            self.a
                .db
                .write_blocking(move |c| weft_core::accounts::set_role(c, &urls, &n, person, role))
                .unwrap();
        }
        if matches!(action, Action::Reopen) {
            let (status, answer) = call_api(
                &self.a.base,
                Method::POST,
                &format!("/api/v1/communities/{name}/archive"),
                Some(&lead.token),
                None,
                None,
            )
            .await;
            assert_eq!(status, 200, "{answer}");
        }
        name
    }

    /// A new person's request to join `club` (which approves members): its id.
    async fn join_request(&self) -> i64 {
        let applicant = self.a.user(&format!("applicant{}", rand::random::<u32>()));
        let (status, body) = call_api(
            &self.a.base,
            Method::POST,
            "/api/v1/communities/club/join",
            Some(&applicant.token),
            None,
            None,
        )
        .await;
        assert_eq!(
            (status, body["state"].as_str()),
            (200, Some("pending")),
            "{body}"
        );
        let lead = self.client(Who::Lead).unwrap();
        let (_, list) = call_api(
            &self.a.base,
            Method::GET,
            "/api/v1/communities/club/requests",
            Some(&lead.token),
            None,
            None,
        )
        .await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["actor"]["id"] == applicant.actor.id)
            .and_then(|r| r["id"].as_i64())
            .expect("the request is listed")
    }

    async fn change(&self, action: Action, id: i64, token: Option<&str>) -> Cell {
        let path = format!("/api/v1/posts/{id}");
        let (method, body) = match action {
            Action::EditOwn | Action::EditOthers => {
                (Method::PATCH, Some(json!({"content": "Changed."})))
            }
            _ => (Method::DELETE, None),
        };
        cell_of(call_api(&self.a.base, method, &path, token, None, body).await)
    }

    /// The same actions by a follower on another instance: signed activities to the
    /// community's inbox, as their server would send them.
    async fn try_remotely(&self, action: Action) -> Cell {
        let bob = &self.remote.actor.ap_id;
        let new_id = || format!("{}/items/{}", self.b.base, rand::random::<u32>());
        let page = |id: &str, community: &ActorRow| {
            json!({"type": "Page", "id": id, "attributedTo": bob, "name": "Hello",
                "content": "<p>Hi.</p>", "to": [community.ap_id, PUBLIC], "audience": community.ap_id})
        };
        let leads = self
            .a
            .db
            .read_blocking(|c| weft_db::actors::local_by_username(c, "leads"))
            .unwrap()
            .unwrap();
        match action {
            Action::StartThread => self.send("Create", page(&new_id(), &self.community)).await,
            Action::StartThreadModsOnly => self.send("Create", page(&new_id(), &leads)).await,
            Action::Reply => {
                let note = json!({"type": "Note", "id": new_id(), "attributedTo": bob,
                    "content": "<p>Yes.</p>", "inReplyTo": self.thread_ap_id,
                    "to": [self.community.ap_id, PUBLIC]});
                self.send("Create", note).await
            }
            Action::EditOwn | Action::DeleteOwn => {
                let id = new_id();
                let made = self.send("Create", page(&id, &self.community)).await;
                assert_eq!(made, Cell::Allowed, "bob's own post is taken first");
                if matches!(action, Action::EditOwn) {
                    let mut changed = page(&id, &self.community);
                    changed["content"] = json!("<p>Changed.</p>");
                    self.send("Update", changed).await
                } else {
                    self.send("Delete", json!(id)).await
                }
            }
            Action::EditOthers | Action::DeleteOthers => {
                let theirs = self.author.post(&self.cop, "Theirs", "Their words.").await;
                if matches!(action, Action::EditOthers) {
                    let mut forged = page(&theirs.ap_id, &self.community);
                    forged["content"] = json!("<p>Changed.</p>");
                    self.send("Update", forged).await
                } else {
                    self.send("Delete", json!(theirs.ap_id)).await
                }
            }
            Action::ScheduleEvent => {
                let starts = Utc::now() + chrono::Duration::days(3);
                let event = json!({"type": "Event", "id": new_id(), "attributedTo": bob,
                    "name": "Our meeting", "content": "<p>Come.</p>",
                    "startTime": starts.to_rfc3339(),
                    "to": [self.community.ap_id, PUBLIC], "audience": self.community.ap_id});
                self.send("Create", event).await
            }
            Action::EditEvent => {
                let event = json!({"type": "Event", "id": self.event_ap_id, "attributedTo": bob,
                    "name": "Taken over", "startTime": Utc::now().to_rfc3339(),
                    "to": [self.community.ap_id, PUBLIC]});
                self.send("Update", event).await
            }
            Action::Rsvp => self.send("Join", json!(self.event_ap_id)).await,
            // Public: a follower elsewhere reads them as anyone does.
            Action::ReadFeeds => self.read_feeds(None).await,
            Action::AddResource => {
                let doc = json!({"type": "Document", "id": format!("{}#resource", new_id()),
                    "actor": bob, "attributedTo": self.community.ap_id, "name": "A method",
                    "content": "<p>One way.</p>", "weft:kind": "method", "weft:version": 1,
                    "to": [self.community.ap_id], "audience": self.community.ap_id});
                self.send("Create", doc).await
            }
            Action::EditOthersResource => {
                let theirs = self.others_resource().await;
                let doc = json!({"type": "Document", "id": theirs["ap_id"], "actor": bob,
                    "attributedTo": self.community.ap_id, "name": "Taken over",
                    "content": "<p>Changed.</p>", "weft:kind": "method", "weft:version": 3,
                    "to": [self.community.ap_id]});
                self.send("Update", doc).await
            }
            Action::DeleteOthersResource => {
                let theirs = self.others_resource().await;
                self.send("Delete", theirs["ap_id"].clone()).await
            }
            Action::SeeAttendees
            | Action::ReviewRegistrations
            | Action::SetRegistrationPolicy
            | Action::InviteToInstance
            | Action::SeeMembers
            | Action::ChangeRole
            | Action::SetJoinPolicy
            | Action::AnswerJoinRequest
            | Action::InviteToCommunity
            | Action::EditProfile
            | Action::Propose
            | Action::Activate
            | Action::Archive
            | Action::Reopen
            | Action::KeepCalendar
            | Action::UploadFile
            | Action::RestoreVersion
            | Action::AddToArchivedLibrary
            | Action::SearchDirectory
            | Action::ListInDirectory
            | Action::ConveneConstellation
            | Action::SetFederationPolicy
            | Action::SeeDirectoryCrawl
            | Action::Weave
            | Action::UnweaveOthers
            | Action::LinkBridge
            | Action::UnlinkBridge => Cell::NotApplicable,
        }
    }

    /// Sends bob's signed activity to the community's inbox.
    async fn send(&self, verb: &str, object: Value) -> Cell {
        let activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": verb,
            "id": format!("{}/activities/{}", self.b.base, rand::random::<u64>()),
            "actor": self.remote.actor.ap_id,
            "object": object,
            "to": [self.community.ap_id, PUBLIC],
            "cc": [],
        })
        .to_string();
        let inbox = format!("{}/inbox", self.a.base);
        let headers = signed(&self.remote_signer, &inbox, &activity, Utc::now());
        cell_of(deliver(&inbox, &activity, headers).await)
    }

    /// Local URLs and numbers that change from run to run, made stable for the table.
    fn stable(&self, text: &str) -> String {
        let text = text
            .replace(&self.a.base, "https://a.example")
            .replace(&self.b.base, "https://b.example")
            .replace(&self.a.domain, "a.example")
            .replace(&self.b.domain, "b.example");
        stable_names(&stable_ids(&text))
    }
}

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

fn event_body() -> Value {
    let starts = Utc::now() + chrono::Duration::days(7);
    json!({
        "title": "Supervision skills",
        "description": "Practice in threes.",
        "starts_at": starts.to_rfc3339(),
        "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
        "timezone": "Europe/London",
        "online_url": "https://meet.example.org/circle",
        "capacity": 20
    })
}

fn resource_body() -> Value {
    json!({"title": "A method", "kind": "method", "description": "One way."})
}

/// Replaces runs of digits after `/items/` and `/activities/` (ids that depend on the
/// order things were made) with `N`.
fn stable_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["/items/", "/activities/"]
        .iter()
        .filter_map(|m| rest.find(m).map(|i| (i, m.len())))
        .min()
    {
        let (i, len) = at;
        out.push_str(&rest[..i + len]);
        rest = &rest[i + len..];
        let end = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(rest.len());
        out.push('N');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Names of communities made for one try (`new_123`) as `new_N`.
fn stable_names(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("new_") {
        out.push_str(&rest[..i + 4]);
        rest = rest[i + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}

/// The observed table as markdown: a mark per cell, the reasons numbered below.
fn render(rows: &[(&str, Vec<Cell>)]) -> String {
    let mut reasons: Vec<String> = vec![];
    let mut number = |reason: String| -> usize {
        match reasons.iter().position(|r| *r == reason) {
            Some(i) => i + 1,
            None => {
                reasons.push(reason);
                reasons.len()
            }
        }
    };
    let mut out = String::from(
        "# Who may do what\n\n\
         Written by `tests/tests/authorization.rs` from what a running instance answers (the \
         REST API for local people, signed deliveries to the community's inbox for a follower \
         on another instance); the test fails when the rules and this table disagree. Every \
         rule is a function in `crates/weft-core/src/rules.rs`. The community is open (anyone \
         may follow and post); `leads` is one where only leads and facilitators start \
         threads. A column for people banned from the community comes with moderation.\n\n\
         ✓ allowed · ✗ refused (status and reason below) · ignored: accepted and dropped, \
         with the reason · — does not apply\n\n| action |",
    );
    for (_, name) in EVERYONE {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n| --- |");
    for _ in EVERYONE {
        out.push_str(" --- |");
    }
    out.push('\n');
    for (action, cells) in rows {
        out.push_str(&format!("| {action} |"));
        for cell in cells {
            let mark = match cell {
                Cell::Allowed => "✓".to_string(),
                Cell::NotApplicable => "—".to_string(),
                Cell::Ignored(reason) => format!("ignored ({})", number(reason.clone())),
                Cell::Refused(status, reason) => {
                    format!("✗ {status} ({})", number(reason.clone()))
                }
            };
            out.push_str(&format!(" {mark} |"));
        }
        out.push('\n');
    }
    out.push_str("\nReasons, as the refusal says them:\n\n");
    for (i, reason) in reasons.iter().enumerate() {
        out.push_str(&format!("{}. {reason}\n", i + 1));
    }
    out
}

async fn observe(backend: Backend) -> String {
    let world = World::new(&backend).await;
    let mut rows = vec![];
    for (action, name) in ACTIONS {
        let mut cells = vec![];
        for (who, _) in EVERYONE {
            let cell = match world.try_action(action, who).await {
                Cell::Refused(s, r) => Cell::Refused(s, world.stable(&r)),
                Cell::Ignored(r) => Cell::Ignored(world.stable(&r)),
                other => other,
            };
            cells.push(cell);
        }
        rows.push((name, cells));
    }
    render(&rows)
}

fn compare(observed: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/authorization.md");
    if std::env::var("WEFT_BLESS").is_ok() {
        std::fs::write(path, observed).unwrap();
        return;
    }
    let documented = std::fs::read_to_string(path).unwrap_or_default();
    if documented != observed {
        let diff: Vec<String> = documented
            .lines()
            .zip(observed.lines())
            .filter(|(d, o)| d != o)
            .map(|(d, o)| format!("docs:     {d}\nobserved: {o}"))
            .take(10)
            .collect();
        panic!(
            "docs/authorization.md disagrees with what Weft answers (WEFT_BLESS=1 rewrites it \
             after a deliberate change):\n{}\n(lines: docs {}, observed {})",
            diff.join("\n"),
            documented.lines().count(),
            observed.lines().count()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_on_sqlite() {
    compare(&observe(Backend::Sqlite).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_on_postgres() {
    if let Some(backend) = Backend::postgres() {
        let observed = observe(backend).await;
        if std::env::var("WEFT_BLESS").is_err() {
            compare(&observed);
        }
    }
}
