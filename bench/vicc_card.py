"""A vicc card shaped like ours (MF, a DF named with the SSSE AID, a record EF with SFI 5),
shared by the vicc anchors of bench/apdu-inprocess.ts and bench/apdu-vpcd.ts."""
import logging

from virtualsmartcard.CardGenerator import CardGenerator
from virtualsmartcard.VirtualSmartcard import Iso7816OS
from virtualsmartcard.SmartcardFilesystem import DF, RecordStructureEF, Record
from virtualsmartcard.ConstantDefinitions import FDB

logging.disable(logging.CRITICAL)

AID = bytes.fromhex("7378312E73682EC9E7BBE1B1A3D5CF")


def build():
    mf, sam = CardGenerator("iso7816").getCard()
    df = DF(parent=mf, fid=0xDF01, dfname=AID)
    mf.append(df)
    records = [Record(identifier=i, data=bytes([i, 9]) + b"A50000001") for i in range(1, 8)]
    ef = RecordStructureEF(parent=df, fid=0xEF05, shortfid=5,
                           filedescriptor=FDB["EFSTRUCTURE_LINEAR_VARIABLE_NOFURTHERINFO"],
                           records=records)
    df.append(ef)
    return Iso7816OS(mf, sam)
