"""Regenerate the committed name gazetteer used by ``tendering.anonymiser``.

This is a *build-time* script.  The anonymiser itself only ever reads the
committed text files in this folder; nothing is downloaded at run time.

Sources
-------
1. Faker (PyPI ``faker``, MIT licence) -- the person-name providers for the
   locales in ``FAKER_LOCALES``.  Faker's ``en_GB`` lists come from ONS baby-name
   tables, ``en_US`` from US Census/SSA tables; the other locales cover
   communities that are common in London (Irish, Nigerian: Yoruba, Igbo, Hausa;
   Ghanaian: Twi; Kenyan/Swahili; Indian; Pakistani; Polish; Turkish; Romanian;
   Lithuanian; Portuguese; Spanish; Italian; French).  Only Latin-script names
   are kept.  Faker's large ``en`` first-name list (US SSA) is kept only for
   names that are not also ordinary English words, because it contains many
   word-like entries ("Council", "Infant", "Unknown").
2. ``CURATED_FIRST`` / ``CURATED_SURNAMES`` below: hand-written supplements for
   communities Faker does not cover well (Somali, Eritrean and Ethiopian,
   Bangladeshi, Arabic, Afghan and Kurdish, Albanian, Vietnamese and Chinese
   romanisations, Polish surnames, Caribbean and recent UK baby names,
   including names that are also words, such as Ruby, Poppy and Will).
3. The Debian ``wbritish`` word list (SCOWL, permissive licence) at
   ``/usr/share/dict/british-english`` -- used only to decide which names are
   also ordinary lower-case English words (written to ``name_words.txt``).
   Install it with ``apt-get install wbritish``.

Usage::

    pip install faker==40.54.0   # into any throwaway environment
    python tendering/data/make_name_lists.py [--faker-path DIR]

``--faker-path`` can point at an unpacked Faker wheel instead of an install.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import subprocess
import sys
import unicodedata

HERE = pathlib.Path(__file__).resolve().parent
DICT_PATH = pathlib.Path("/usr/share/dict/british-english")

FAKER_LOCALES = (
    "en_GB en_US en_IE en_NG yo_NG ig_NG ha_NG tw_GH en_KE sw en_IN en_PK "
    "pl_PL tr_TR ro_RO lt_LT pt_PT pt_BR es_ES it_IT fr_FR"
).split()

CURATED_FIRST = """
Abdi Abdirahman Abdirizak Abdullahi Abdulkadir Abdiaziz Abshir Ayaan Ayan Amina
Asha Hodan Hibo Hamda Hawa Filsan Fadumo Faduma Farhiya Ifrah Iqra Istahil Khadra
Muna Nasra Najma Sagal Sahra Samira Shukri Ubah Warsan Yasmin Zamzam Ilhan
Liban Mahad Mohamud Mukhtar Nuur Omar Osman Qasim Sakariye Sharmarke Yusuf
Abel Aklilu Amanuel Biniam Dawit Efrem Eyob Filmon Mebrahtu Mehari Merhawi
Samuel Semere Senait Selam Tesfay Tesfaye Tekle Yonas Yohannes Yodit Helen
Rahwa Ruta Saba Segen Feven Mekdes Meron Hiwet Luwam Eden Tsega Kidist Bethlehem
Abdul Ahmed Akash Anwar Arif Ayesha Bilal Fahim Farhan Faisal Habib Hamza
Hasan Hussain Ibrahim Imran Ismail Jamal Kamal Karim Mahbub Mahmud Masud Mizanur
Mohammed Mohamed Muhammad Mohammad Nadia Nasrin Rahima Rehana Rubina Rumana
Sabina Shabnam Shamima Shahana Shirin Sultana Tahmina Tanvir Tasnim Zakir Zubair
Aisha Amira Fatima Fatuma Haleema Hafsa Inaya Khadija Leila Layla Mariam Maryam
Noor Rania Safiya Sumaya Yasmeen Zainab Zahra Zayn Zain Yousef Yusuf Hamid
Ahmad Ali Hassan Hussein Khalid Mustafa Omar Tariq Walid Youssef Karzan Rebin
Dilan Rojin Shilan Ahmadzai Farid Farhad Jawad Mirwais Nasir Rahmatullah Sohail
Arben Arjan Besnik Blerim Driton Elira Enea Ermal Flutura Ilir Kujtim Lulzim
Mergim Arber Valbona Gentian Klea Ajla Leutrim Granit Dua
Anh Bao Duc Hieu Hoa Huong Khanh Linh Minh Ngoc Phuong Quang Thanh Thao Trang
Tuan Van Vy Wei Xin Yan Ying Yue Jun Hui Jie Lei Ming Qing Xiaoming Zhiwei
Aleksander Bartosz Dawid Dominik Filip Jakub Kacper Kamil Krzysztof Lukasz
Łukasz Maciej Mateusz Michał Oskar Patryk Piotr Szymon Tomasz Wojciech Zuzanna
Agnieszka Aleksandra Anna Joanna Julia Kasia Katarzyna Magdalena Małgorzata
Marta Natalia Oliwia Weronika Wiktoria Zofia Maja Lena Hanna
Alfie Archie Arlo Bobbie Callum Charlie Connor Dexter Ellis Finley Freddie
Harley Harvey Jayden Jaiden Kayden Keelan Kian Kyle Leighton Lennon Logan
Louie Marley Mason Ollie Reggie Riley Ronnie Rory Teddy Tommy Tyler Tyrese
Kai Kyrie Kymani Malachi Micah Nathaniel Raheem Rashad Rico Shaquille Tremaine
Tyrell Tyrone Jermaine Kemar Jerome Delroy Winston Leroy Desmond Errol Neville
Aaliyah Abigail Alisha Amelia Ava Bella Bethany Caitlin Chantelle Chloe Demi
Ella Ellie Esme Evie Freya Georgia Gracie Isla Imani Jada Jade Kayla Keira
Lacey Leah Lexi Lola Maisie Megan Mia Millie Nevaeh Niamh Olivia Paige Phoebe
Rosie Scarlett Shanice Shannon Sienna Skye Tamara Tanisha Tia Tiana Zara
Chidi Chiamaka Chinwe Emeka Ifeoma Ngozi Nkechi Obinna Tobi Tolu Tunde Femi
Funmi Kemi Seun Bukola Damilola Ayomide Oluwaseun Temitope Adaeze Kofi Kwame
Kwabena Kwaku Kojo Yaw Ama Akosua Abena Adwoa Efua Esi Nana Yaa
Ruby Poppy Lily Daisy Rose Violet Ivy Willow Hazel Holly Summer Autumn Sky Skye
Grace Hope Faith Amber Jade Crystal Pearl Scarlett Will Bill Jack Mark May June
April Penny Dawn Joy Harry Max Frank River Storm Rowan Blossom Melody Honey Star
Angel Precious Blessing Destiny Trinity Heaven Mercy Patience Prince Royal Chance
""".split()

CURATED_SURNAMES = """
Abdi Abdullahi Aden Ahmed Ali Awale Dahir Egal Elmi Farah Guled Hassan Hersi
Hirsi Hussein Ibrahim Ismail Jama Jibril Mohamed Mohamud Muse Nur Nuur Omar
Osman Samatar Sheikh Warsame Yusuf Abdirahman Abdulle Adan Barre Duale
Tesfay Tesfaye Tekle Ghebre Gebre Gebremedhin Gebremariam Haile Kidane
Berhane Yohannes Mehari Woldu Habte Negash Asmerom Tewolde Andemariam Kahsay
Begum Khatun Uddin Miah Mia Hussain Hossain Rahman Chowdhury Choudhury Hoque
Haque Islam Khan Akhtar Bibi Sultana Alam Mahmud Karim Ullah Siddique Sarkar
Malik Iqbal Qureshi Raza Butt Chaudhry Mirza Anwar Aziz Rashid Shah Hameed
Mahmood Nawaz Sadiq Riaz Javed Akram Aslam Bashir Younis Yousaf Zaman
Patel Sharma Singh Kaur Gill Sandhu Sidhu Dhillon Grewal Bains Sahota Kumar
Gupta Mehta Shah Joshi Desai Pillai Nair Iyer Raj Rao Reddy Varma Chauhan
Nowak Kowalski Kowalska Wiśniewski Wisniewski Wiśniewska Wójcik Wojcik
Kowalczyk Kamiński Kaminski Kamińska Lewandowski Lewandowska Zieliński
Zielinski Szymański Szymanski Woźniak Wozniak Dąbrowski Dabrowski Kozłowski
Kozlowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski
Nowakowski Pawłowski Pawlowski Michalski Nowicki Adamczyk Dudek Zając Zajac
Wieczorek Jabłoński Jablonski Król Krol Majewski Olszewski Jaworski Wróbel
Wrobel Malinowski Pawlak Witkowski Walczak Stępień Stepien Górski Gorski
Rutkowski Michalak Sikora Ostrowski Baran Duda Szewczyk Tomaszewski Pietrzak
Marciniak Wróblewski Wroblewski Zalewski Jakubowski Jasiński Jasinski
Zawadzki Sadowski Chmielewski Włodarczyk Wlodarczyk Borkowski Czarnecki
Sawicki Sokołowski Sokolowski Kubiak Maciejewski Szczepański Szczepanski
Kucharski Kalinowski Mazurek Wysocki Adamski Kaźmierczak Kazmierczak
Yılmaz Yilmaz Kaya Demir Şahin Sahin Çelik Celik Yıldız Yildiz Yıldırım
Yildirim Öztürk Ozturk Aydın Aydin Özdemir Ozdemir Arslan Doğan Dogan Kılıç
Kilic Aslan Çetin Cetin Koç Koc Kurt Özkan Ozkan Şimşek Simsek Polat Korkmaz
Okafor Okeke Okonkwo Nwosu Eze Obi Chukwu Adeyemi Adebayo Adewale Afolabi
Ogunleye Olawale Oyelaran Balogun Bello Babatunde Oduya Akinola Ogunbiyi
Mensah Asante Boateng Owusu Osei Appiah Agyeman Acheampong Amoah Darko
Hoxha Krasniqi Berisha Gashi Shehu Morina Kelmendi Rexhepi Bajrami Hasani
Nguyen Tran Pham Hoang Huynh Phan Dang Bui Ngo Duong Wang Zhang Chen Liu
Huang Zhao Zhou Xu Yang Lin Wong Cheung Leung Chan
Campbell Thompson Williams Francis Samuels Clarke Morgan Henry Reid Gayle
Bailey Grant Stewart Lawrence Richards Robinson Powell Forbes McKenzie
Mckenzie Blake Gordon Beckford Ricketts Spencer Hylton Dacres Whyte
""".split()


def is_latin(name: str) -> bool:
    return all(
        ch in "-'’" or (ch.isalpha() and "LATIN" in unicodedata.name(ch, ""))
        for ch in name
    )


def dictionary_words() -> set[str]:
    words = set()
    for line in DICT_PATH.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and line.islower() and not line.endswith("'s"):
            words.add(line)
    return words


def provenance(faker_version: str) -> str:
    try:
        dict_version = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "wbritish"],
            capture_output=True, text=True, check=False,
        ).stdout.strip() or "unknown"
    except OSError:
        dict_version = "unknown"
    return (
        "# Generated by tendering/data/make_name_lists.py -- do not edit by hand.\n"
        f"# Sources: faker {faker_version} (MIT) person providers "
        f"[{' '.join(FAKER_LOCALES)}] + en (non-word names only);\n"
        "# hand-curated supplements in make_name_lists.py;\n"
        f"# word check: Debian wbritish {dict_version} (SCOWL licence).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faker-path", help="folder holding an unpacked Faker")
    args = parser.parse_args()
    if args.faker_path:
        sys.path.insert(0, args.faker_path)
    import faker  # noqa: PLC0415 - build-time only

    words = dictionary_words()
    first: set[str] = set(CURATED_FIRST)
    last: set[str] = set(CURATED_SURNAMES)
    for locale in FAKER_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            first.update(getattr(provider, attr, ()))
        last.update(getattr(provider, "last_names", ()))
    generic = importlib.import_module("faker.providers.person.en").Provider
    first.update(n for n in generic.first_names if n.lower() not in words)

    def clean(names: set[str]) -> list[str]:
        kept = {
            n.strip() for n in names
            if " " not in n.strip() and len(n.strip()) >= 2 and is_latin(n.strip())
        }
        kept.discard("Doe")  # Faker's pl_PL placeholder surname
        return sorted(kept, key=lambda n: (n.casefold(), n))

    first_list, last_list = clean(first), clean(last)
    both = {n.casefold() for n in first_list + last_list}
    word_names = sorted(n for n in both if n in words)
    header = provenance(faker.VERSION)
    outputs = {
        "first_names.txt": first_list,
        "surnames.txt": last_list,
        "name_words.txt": word_names,
    }
    for filename, names in outputs.items():
        text = header + "\n".join(names) + "\n"
        (HERE / filename).write_text(text, encoding="utf-8")
        print(f"{filename}: {len(names)} names")


if __name__ == "__main__":
    main()
