from course_utils.tables import format_table


def test_numbers_text_and_missing_cells_line_up():
    table = format_table(
        {"s&p 0.2": {"noisy": 10.1234, "median": 18.3}, "alice": {"ex-1.1": "pass"}},
        "PSNR (dB)",
    )
    lines = table.splitlines()
    assert lines[0].split() == ["PSNR", "(dB)", "noisy", "median", "ex-1.1"]
    assert lines[1].split() == ["s&p", "0.2", "10.12", "18.30", "–"]
    assert lines[2].split() == ["alice", "–", "–", "pass"]
    # numbers align right under their header, text left
    assert lines[0].index("noisy") + 5 == lines[1].index("10.12") + 5
    assert lines[0].index("median") + 6 == lines[1].index("18.30") + 5
    assert lines[0].index("ex-1.1") == lines[2].index("pass")


def test_decimals():
    assert "0.12346" in format_table({"a": {"x": 0.123456}}, decimals=5)


def test_long_column_names_take_two_header_lines():
    rows = {
        "salt-and-pepper 0.2": {"noisy input": 10.164, "AE, clean-trained": 6.0},
        "Gaussian 0.4": {"noisy input": 11.03},
    }
    assert format_table(rows, "PSNR (dB)").splitlines() == [
        "                     noisy            AE,",
        "PSNR (dB)            input  clean-trained",
        "salt-and-pepper 0.2  10.16           6.00",
        "Gaussian 0.4         11.03              –",
    ]
    # a long name without a space stays on one line
    assert format_table({"a": {"reconstruction": 1.0}}).splitlines() == [
        "   reconstruction",
        "a            1.00",
    ]
