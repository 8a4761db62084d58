"""Reading who does what from a flagged segment of real, disfluent speech."""

from __future__ import annotations

from summarizer.clauses import clean, title_from
from summarizer.commitments import CommitmentReader
from summarizer.facts import Member, Utterance
from summarizer.people import People
from summarizer.titles import imperative

ROLES = tuple(
    Member(f"u{i}", name)
    for i, name in enumerate(
        ["Project Manager", "Marketing", "User Interface", "Industrial Designer"]
    )
)
READER = CommitmentReader(People(ROLES))


def _said(speaker: str, text: str, n: int = 1) -> Utterance:
    return Utterance(f"s{n}", speaker, float(n), text, participant_id=None)


def test_stutters_and_fillers_are_cleaned() -> None:
    assert clean("Um so I I'll uh send the the w we report") == "so I'll send the we report"
    assert clean("think what it has to has to fulfil, we'll need, we'll need it") == (
        "think what it has to fulfil, we'll need it"
    )


def test_title_is_the_verb_phrase_after_the_modal() -> None:
    assert title_from("so I'll look into the battery options, because it matters") == (
        "Look into the battery options"
    )
    assert title_from("you're gonna be thinking about the components concept") == (
        "Think about the components concept"
    )
    assert title_from("I think it's fine") is None


def test_a_title_starts_at_its_verb_not_an_adverb_or_a_word_cut_off() -> None:
    assert title_from("we'll separately rank each of the requirements") == (
        "Rank each of the requirements"
    )
    assert title_from("you'll investi do some research on batteries") == (
        "Do some research on batteries"
    )
    assert title_from("we'll never have to look at the old design again") == (
        "Never have to look at the old design again"
    )


def test_what_is_done_in_the_call_has_no_title() -> None:
    assert title_from("I'll show you some numbers here from the survey") is None
    assert title_from("I will take notes during this meeting") is None
    assert title_from("I'll take notes and send them to everyone") == (
        "Take notes and send them to everyone"
    )
    # The call's own breaks (AMI tuning wrap-ups): back in the same room the same day.
    assert title_from("So we'll just meet back in here thirty minutes.") is None
    assert title_from("Okay then I'll meet you in about a half an hour, I think.") is None
    assert title_from("we'll be taking lunch shortly") is None
    # and its own programme
    assert title_from("I'm gonna do an opening, talk about the minutes") is None
    assert title_from("I'll just get the PowerPoint presentation up and running.") is None
    assert title_from("I'm gonna write that down.") is None
    assert title_from("so just for record I will take notes again.") is None
    assert title_from("so I'm gonna continue with my presentation.") is None
    assert title_from("we'll meet with the vendors next week") == "Meet with the vendors next week"
    # a presentation given there and then; a talk planned for later is a plan
    assert title_from("Uh I'll I'll just explain a bit of the components.") is None
    assert title_from("I will give a brief outline about what I prepared") is None
    assert title_from("Right, so I will talk about the working design and") is None
    assert title_from("I'm gonna open.") is None
    assert title_from("we'll talk about the parser changes on Friday") == (
        "Talk about the parser changes on Friday"
    )


def test_a_title_says_what_to_do_however_it_was_said() -> None:
    assert title_from("I'll be putting the minutes into the project folder") == (
        "Put the minutes into the project folder"
    )
    assert title_from("you're gonna be working on the look and feel design") == (
        "Work on the look and feel design"
    )
    assert imperative("Bring the samples") == "Bring the samples"
    assert imperative("Ring Mina about the budget") == "Ring Mina about the budget"
    assert imperative("Writing up the report") == "Write up the report"
    assert imperative("Something useful") == "Something useful"  # not a verb


def test_one_segment_naming_three_roles_gives_three_owned_tasks() -> None:
    # AMI ES2002b, the project manager closing the meeting (real transcript).
    text = (
        "um for uh our Industrial Designer, you're gonna be thinking about the components "
        "concept. Um User Interface Designer gonna be thinking about our user interface, "
        "and marketing you're gonna be thinking about trend watching."
    )
    proposals = READER.read(_said("Project Manager", text), None, None)
    assert [(p.owner.name if p.owner else None) for p in proposals] == [
        "Industrial Designer",
        "User Interface",
        "Marketing",
    ]
    assert "components concept" in proposals[0].title
    assert "trend watching" in proposals[2].title


def test_i_is_the_speaker_we_is_everyone_and_you_is_who_answers() -> None:
    [mine] = READER.read(
        _said("Marketing", "Okay, I'll send round the survey results."), None, None
    )
    assert mine.owner is not None
    assert mine.owner.name == "Marketing"
    [ours] = READER.read(
        _said("Project Manager", "So we all need to fill in the questionnaire."), None, None
    )
    assert ours.everyone
    assert ours.owner is None
    [yours] = READER.read(
        _said("Project Manager", "Could you look at the costs of the chips before Friday?"),
        None,
        _said("Industrial Designer", "Sure, will do.", 2),
    )
    assert yours.owner is not None
    assert yours.owner.name == "Industrial Designer"


def test_role_words_alone_name_nobody() -> None:
    people = People(ROLES)
    found = [m.name for _s, _e, m in people.find_in("the user interface designer will")]
    assert found == ["User Interface"]


def test_a_second_modal_says_how_not_what() -> None:
    # ICSI Bmr011 and Bmr009, real lines the detector flagged that made no card before.
    assert title_from("We'll have to talk to Brian.") == "Talk to Brian"
    assert title_from("we'll have to look at some core things.") == "Look at some core things"
    assert title_from("we're gonna want to resample them and bring them over") == (
        "Resample them and bring them over"
    )
    assert title_from("we'll have to be aware of this") is None  # a state, not work
    assert title_from("I'll try to finish the report") == "Try to finish the report"
    # AMI ES2002c's project manager, closing: the meeting's own end is no task after it.
    assert title_from("I'm gonna have to call this to a close 'cause we're way over") is None
    assert title_from("we'll have to wrap up") is None


def test_taking_on_what_was_just_proposed_is_a_task_of_that_work() -> None:
    asked = _said("Project Manager", "Could you send me the costs of the chips?", 1)
    [taken] = READER.read(_said("Industrial Designer", "OK. I'll do that.", 2), asked, None)
    assert taken.title == "Send me the costs of the chips"
    assert taken.sentence == "I'll do that."  # the evidence quotes its own segment
    assert taken.owner is not None
    assert taken.owner.name == "Industrial Designer"
    idea = _said("Marketing", "Maybe we could ask the users about colours.", 1)
    [ours] = READER.read(_said("Project Manager", "Yeah, we'll do that.", 2), idea, None)
    assert ours.title == "Ask the users about colours"
    assert ours.everyone
    chatter = _said("Marketing", "It was a long day.", 1)
    assert READER.read(_said("Project Manager", "I'll do that.", 2), chatter, None) == []


def test_work_done_to_them_is_no_title_and_do_and_think_about_are_work() -> None:
    # AMI closings (real lines): what the group receives is no work of theirs.
    assert title_from("and further instructions will be sent to you by email.") is None
    assert title_from("the Industrial Designer will do the components concept,") == (
        "Do the components concept"
    )
    assert title_from("what will you do then?") is None
    assert title_from("Okay, you're going to think about the working design.") == (
        "Think about the working design"
    )
    assert title_from("I'm going to think it over") is None
    # AMI IS1004a: one title per piece of work handed out in one breath.
    assert (
        title_from(
            "So you have to work on the working design, you have to work on the technical "
            "functions, and you have to work on user requirements specs, alright?"
        )
        == "Work on the working design"
    )
    # AMI ES2013d: the title is the work, not the clause said after it.
    assert (
        title_from(
            "therefore we have to do the final questionnaire and do the meeting summary, I "
            "have a final report to present, um and then we're done."
        )
        == "Do the final questionnaire and do the meeting summary"
    )


def test_a_wrap_up_hands_out_work_sentence_by_sentence() -> None:
    # AMI TS3003b and IS1005c, the project manager closing (real transcripts).
    closing = (
        "Uh okay. I will put the minutes in the project uh project document folder. Um what "
        "we're going to do for the next meeting is the Industrial Designer will work on the "
        "components concept."
    )
    proposals = READER.read(_said("Project Manager", closing), None, None)
    assert [(p.title, p.owner.name if p.owner else None) for p in proposals] == [
        ("Put the minutes in the project document folder", "Project Manager"),
        ("Work on the components concept", "Industrial Designer"),
    ]
    listed = (
        "So, um uh the next meeting will start in thirty minutes. The User Interface uh "
        "Manager will work on the user interface device. And the the Marketing Expert will "
        "do the first project evaluation."
    )
    proposals = READER.read(_said("Project Manager", listed), None, None)
    assert [(p.title, p.owner.name if p.owner else None) for p in proposals] == [
        ("Work on the user interface device", "User Interface"),
        ("Do the first project evaluation", "Marketing"),
    ]
    # Work said to "you" in the same breath stays one card: who "you" is, is unknown.
    [only] = READER.read(
        _said(
            "Project Manager",
            "You'll look at the battery options. And you'll look at the case materials.",
        ),
        None,
        None,
    )
    assert only.title == "Look at the battery options"


def test_a_list_of_hand_outs_names_each_piece_of_work_without_a_verb() -> None:
    # AMI ES2014a, ES2010c and ES2010a (real transcripts): roles said by their letters,
    # each followed by their piece of work.
    listed = (
        "Okay, so we've got um the working design for I_D_. For U_I_D_ the technical functions "
        "design. Marketing, the user requirement specification. Specific instructions will be "
        "sent to you by your personal coach."
    )
    proposals = READER.read(_said("Project Manager", listed), None, None)
    assert [(p.title, p.owner.name if p.owner else None, p.handed) for p in proposals] == [
        ("Work on the technical functions design", "User Interface", True),
        ("Work on the user requirement specification", "Marketing", True),
    ]
    # The verb said once serves the list.
    gapped = (
        "The I_D_ is going to do the look and feel design, the U_I_D_ the user interface design."
    )
    proposals = READER.read(_said("Project Manager", gapped), None, None)
    assert [(p.title, p.owner.name if p.owner else None) for p in proposals] == [
        ("Do the look and feel design", "Industrial Designer"),
        ("Do the user interface design", "User Interface"),
    ]
    [one] = READER.read(
        _said("Project Manager", "And U_I_D_, the technical fun functions design,"), None, None
    )
    assert (one.title, one.owner and one.owner.name) == (
        "Work on the technical functions design",
        "User Interface",
    )
    # A member with no piece of work after their name: an agenda, a time, a person.
    for said in (
        "Now we would like to have a presentation by the marketing expert on production "
        "evaluation.",
        "Hi, I'm the Project Manager for today, for this project.",
        "User Interface and Kate with the industrial design.",
        "Marketing, the numbers look good.",
        "So Anna the user interface design, and Tom the costs.",  # a role's name in a thing
    ):
        assert READER.read(_said("Project Manager", said), None, None) == [], said


def test_a_hand_out_ends_where_the_next_one_begins() -> None:
    # AMI ES2010b's wrap-up (real transcript): the interface concept is the U_I_D_'s, and
    # the trend watching said next, to "you", is the one member not named (Marketing).
    wrap_up = (
        "The I_D_ is going to work on the components concept, um U_I_D_ the user interface "
        "concept, and you're going to do some trend watching. 'Kay."
    )
    proposals = READER.read(_said("Project Manager", wrap_up), None, None)
    assert [(p.title, p.owner.name if p.owner else None) for p in proposals] == [
        ("Work on the components concept", "Industrial Designer"),
        ("Work on the user interface concept", "User Interface"),
        ("Do some trend watching", "Marketing"),
    ]


def test_a_segment_is_titled_by_a_clause_that_names_work_where_one_does() -> None:
    # The longest clause ("Here next week…") starts with no verb; the shorter one does.
    [one] = READER.read(
        _said(
            "Marketing",
            "I'll be here next week so I think we can go over all of these things then. "
            "I'll send him the notes.",
        ),
        None,
        None,
    )
    assert one.title == "Send him the notes"


def test_a_verb_of_work_is_not_a_noun_of_the_same_form() -> None:
    # A written meeting's reassignment: "check" here is the dedupe check, no verb.
    assert title_from("can Sofia take the dedupe check instead") is None
    assert title_from("and send them off to IBM") == "Send them off to IBM"
    assert title_from("the update is ready, check the logs tomorrow") == ("Check the logs tomorrow")


def test_a_title_skips_how_it_is_said() -> None:
    # AMI ES2008b, ES2009a and ICSI Bmr015 (real lines).
    assert title_from("after the meeting we're gonna each complete a questionnaire") == (
        "Complete a questionnaire"
    )
    assert title_from("I'll make sure to put up the minutes and the project documentation") == (
        "Put up the minutes and the project documentation"
    )
    assert title_from("the next phase will be we'll actually be doing a larger proposal.") == (
        "Do a larger proposal"
    )
    # ICSI Bro012, Bmr005 and an instruction to read digits (real lines).
    assert title_from("we'd be able to get a lot more experimenting done") == (
        "Get a lot more experimenting done"
    )
    assert title_from("you'll be sure to pause between each line") == "Pause between each line"
    # A contraction starts a new clause; it is never a title's verb.
    assert title_from("'cause you're gonna be you're g you guys are the bottom") is None


def test_what_we_need_to_do_is_the_work_and_i_can_offers_it() -> None:
    # ICSI Bed013, AMI IS1008b and TS3012b (real lines the detector flagged).
    said = "So what we actually then need to do is write a little script that changes the settings"
    assert title_from(said) == "Write a little script that changes the settings"
    said = "So what I should do is just print out a whole stack and leave them up here"
    assert title_from(said) == "Print out a whole stack and leave them up here"
    said = "maybe what we'll have to do is add something to recharge it wirelessly"
    assert title_from(said) == "Add something to recharge it wirelessly"
    # "do is" followed by no verb commits to nothing: a later modal may.
    said = "Okay, what we'll do is now we'll take the prototype to the lab"
    assert title_from(said) == "Take the prototype to the lab", said
    [offer] = READER.read(
        _said("User Interface", "Or maybe for the next meeting, I can draw out some ideas."),
        None,
        None,
    )
    assert (offer.title, offer.owner and offer.owner.name) == (
        "Draw out some ideas",
        "User Interface",
    )
    # Only the speaker's "I can": "you can see here" or "we can" commit to nothing.
    assert title_from("you can see the buttons here") is None
    assert title_from("and we can see the buttons here") is None


def test_work_on_what_was_just_said_keeps_its_pronoun() -> None:
    # ICSI Bmr022, Bro024, Buw001 (real lines the detector flagged, labelled action items).
    assert title_from("I'll talk to him.") == "Talk to him"
    assert title_from("Yeah we're gonna have to fix that.") == "Fix that"
    assert title_from("I'll email him.") == "Email him"
    assert title_from("Transcribed. I will send you that.") == "Send you that"
    # Not what is looked at on the screen, nor "do that", which takes the line before's work.
    assert title_from("we'll look at this") is None
    assert title_from("I'll do that.") is None


def test_first_names_of_nobody_here_hand_out_work_to_no_owner() -> None:
    # AMI ES2016c and ES2012c (real transcripts): members known by their roles hand out
    # work by first names that resolve to nobody in the meeting.
    said = (
        "Um okay so we will have another meeting in thirty minutes. Ryan you'll be working "
        "on the user interface design. Manuel you'll be working on the look-and-feel design."
    )
    proposals = READER.read(_said("Project Manager", said), None, None)
    assert [(p.title, p.owner, p.handed) for p in proposals] == [
        ("Work on the user interface design", None, True),
        ("Work on the look-and-feel design", None, True),
    ]
    said = "Kate will be looking at the look and feel. And Kendra will be producing a model."
    proposals = READER.read(_said("Project Manager", said), None, None)
    assert [(p.title, p.owner) for p in proposals] == [
        ("Look at the look and feel", None),
        ("Produce a model", None),
    ]
    # A name addressed, then the work of the member named: one task, the member's.
    said = "Gabriel, you're gonna be working on the user interface design."
    [one] = READER.read(_said("Project Manager", said), None, _said("User Interface", "OK", 2))
    assert (one.title, one.owner and one.owner.name) == (
        "Work on the user interface design",
        "User Interface",
    )
    # Names are the words English does not know, in capitals: not "Will", "Bob", "kate",
    # nor a function word or an interjection starting a sentence ("But you'll…").
    assert People(ROLES).others_in("Agnes, can you go on? Will Bob and Kate come, kate?") == [
        (0, 5, "Agnes"),
        (35, 39, "Kate"),
    ]
    assert People(ROLES).others_in("But you'll be working on it. Oops. Because we'll see.") == []


def test_that_done_later_is_work_the_evidence_explains() -> None:
    # ICSI (real transcripts): labelled action items said as "that", for later.
    [later] = READER.read(_said("Marketing", "I can do that for next week."), None, None)
    assert (later.title, later.owner and later.owner.name) == ("Do that for next week", "Marketing")
    assert [p.title for p in READER.read(_said("Marketing", "we'll do that later."), None, None)]
    # Said now, or with the work proposed just before, it is not this.
    assert READER.read(_said("Marketing", "OK. I'll do that."), None, None) == []
    asked = _said("Project Manager", "Could you send me the price list?", 1)
    [agreed] = READER.read(_said("Marketing", "Sure, I'll do that tomorrow.", 2), asked, None)
    assert agreed.title == "Send me the price list"
