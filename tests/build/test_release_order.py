"""The build reports the given code that holds another exercise's answer (the release order)."""
from assignments.build import given_answers, release_order_report


def test_given_answers_are_exactly_the_known_ones():
    found = {(notebook, cell, exercise) for notebook, cell, _, exercise in given_answers()}
    expected = {
        ("ex28_2_dual_numbers", "given_engine", "ex28_1_sigmoid"),
        ("ex28_3_manual_backward", "given_engine", "ex28_1_sigmoid"),
        ("ex28_4_checkpointing", "given_engine", "ex28_1_sigmoid"),
        ("ex28_5_deeper_mlp", "given_engine", "ex28_1_sigmoid"),
        ("ex28_6_op_counting", "given_engine", "ex28_1_sigmoid"),
        ("ex28_6_op_counting", "given_mlp", "ex28_5_deeper_mlp"),
    }
    assert found == expected, f"got {sorted(found)}, expected {sorted(expected)}"


def test_the_sigmoid_and_the_mlp_are_named():
    names = {(notebook, name) for notebook, _, name, _ in given_answers()}
    for expected in [("ex28_5_deeper_mlp", "Value.sigmoid"), ("ex28_6_op_counting", "MLP"),
                     ("ex28_6_op_counting", "Neuron.__call__")]:
        assert expected in names, f"{expected} missing from {sorted(names)}"
    # 28.6 is given the chapter's fixed MLP, not 28.5's configurable activations
    for absent in [("ex28_6_op_counting", "activate"), ("ex28_6_op_counting", "_check_config")]:
        assert absent not in names, f"{absent} should not be given: {sorted(names)}"


def test_the_report_ends_with_the_release_order():
    last = release_order_report()[-1]
    assert last == ("release ex28_1_sigmoid before ex28_2_dual_numbers; ex28_1_sigmoid before "
                    "ex28_3_manual_backward; ex28_1_sigmoid before ex28_4_checkpointing; "
                    "ex28_1_sigmoid before ex28_5_deeper_mlp; ex28_1_sigmoid before "
                    "ex28_6_op_counting; ex28_5_deeper_mlp before ex28_6_op_counting"), f"got {last!r}"
