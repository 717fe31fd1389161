"""The feature sets, checked token by token on hand-worked sentences."""
from multitag_crf.features import normalize, paper_features, rich_features, shape, short_shape


def test_paper_features_hand_worked():
    got = paper_features(["EU", "rejects", "German"], ["NNP", "VBZ", "JJ"])
    eu = ["lower=eu", "istitle=False", "isupper=True", "isdigit=False", "pos=NNP", "pos2=NN"]
    rejects = ["lower=rejects", "istitle=False", "isupper=False", "isdigit=False", "pos=VBZ", "pos2=VB"]
    german = ["lower=german", "istitle=True", "isupper=False", "isdigit=False", "pos=JJ", "pos2=JJ"]
    assert got[0] == (["bias"] + eu + ["BOS", "suffix3=EU", "suffix2=EU"]
                      + ["+1:" + a for a in rejects])
    assert got[1] == (["bias"] + rejects + ["suffix3=cts", "suffix2=ts"]
                      + ["-1:" + a for a in eu + ["BOS"]]
                      + ["+1:" + a for a in german + ["EOS"]])
    assert got[2] == (["bias"] + german + ["EOS", "suffix3=man", "suffix2=an"]
                      + ["-1:" + a for a in rejects])


def test_paper_features_without_pos_and_single_token():
    (only,) = paper_features(["1996"], None)
    assert only == ["bias", "lower=1996", "istitle=False", "isupper=False", "isdigit=True", "BOS", "EOS",
                    "suffix3=996", "suffix2=96"]


def test_shapes_and_normalisation():
    assert shape("U.S.-based") == "X.X.-xxxxx"
    assert short_shape("U.S.-based") == "X.X.-x"
    assert shape("McDonald's") == "XxXxxxxx'x" and short_shape("McDonald's") == "XxXx'x"
    assert short_shape("1984") == "d"
    assert normalize("Win-2024") == "win-0000"


def test_rich_features_window_affixes_and_clusters():
    tokens, pos = ["Peter", "Blackburn", "won", "1996"], ["NNP", "NNP", "VBD", "CD"]
    clusters = {"peter": (1, 7), "blackburn": (1, 9), "0000": (2, 3)}
    f = rich_features(tokens, pos, clusters, (4, 16))
    b = set(f[1])
    assert {"w=blackburn", "sh=Xxxxxxxxx", "ss=Xx", "title", "p1=B", "p4=Blac", "s4=burn", "s1=n",
            "pos=NNP", "pos2=NN", "c4=1", "c16=9"} <= b
    assert {"-1:w=peter", "-1:title", "-1:c4=1", "-1:c16=7", "+1:w=won", "+1:pos=VBD", "+2:w=1996",
            "+2:ss=d", "+2:c4=2", "-2:pad", "w-1|w=peter|blackburn", "w|w+1=blackburn|won",
            "title-1&title"} <= b
    assert "+2:c16=3" not in b          # +-2 carries only the first granularity
    assert "BOS" in f[0] and "-1:pad" in f[0] and "-2:pad" in f[0]
    assert "EOS" in f[3] and "+1:pad" in f[3] and {"digit", "c4=2", "c16=3"} <= set(f[3])
    assert "c=none" in f[2]             # 'won' has no cluster
    assert "BOS" not in f[1] and "EOS" not in f[1]


def test_rich_features_without_pos_or_clusters():
    f = rich_features(["a", "B"], None, None, ())
    assert not any(a.startswith(("pos", "-1:pos", "+1:pos", "c4", "c16")) for t in f for a in t)
    assert "c=none" in f[0] and "+1:upper" in f[0]
